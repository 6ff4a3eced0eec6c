//! The fan-outs over a stream: [`map_stream`] and [`map_stream_unordered`], on the engine
//! of `fan_out` (see its docs), with the stream as the feed.
//!
//! The workers take turns at the stream under an async lock (a stream has one consumer at
//! a time); `drive` runs in a child of the fan-out's scope, so that the body streams
//! outputs while the starter waits for items. Each worker sends `(index, output)` over a
//! bounded goscope channel to the body, which yields them to the returned
//! [`AsyncGenerator`], re-ordered ([`InOrder`]) when asked to. Ordered output keeps at
//! most `limit` items taken and not yet streamed: the feed takes an item only with a
//! permit of a window of `limit`, released when its output is streamed (as
//! `StreamExt::buffered` bounds its buffer).

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;

use futures_core::Stream;
use futures_util::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{Feed, check_limit, drive};
use crate::Error;
use crate::combinators::in_order::InOrder;
use crate::combinators::settle::Settled;
use crate::generator::AsyncGenerator;
use crate::scope::{Scope, run};

/// Calls `f` on every item of the stream `input`, at most `limit` at a time in parallel
/// tasks, and streams the outputs in input order.
///
/// At most `limit` items are in flight or finished-but-waiting-their-turn at once (as
/// `StreamExt::buffered`): a slow item holds back the ones after it, and no more than
/// `limit` wait behind it. A panic in `f` is streamed as `Err(Error::Panicked(_))` in its
/// turn and ends the stream; an enclosing scope's cancellation streams
/// `Err(Error::Cancelled)` and ends it. Dropping the stream cancels every item.
///
/// # Panics
///
/// If `limit` is 0.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use futures_util::StreamExt;
///
/// let pages = futures_util::stream::iter(1..=4);
/// let sizes: Vec<_> = goscope::map_stream(pages, 2, |page| async move { page * 100 })
///     .map(Result::unwrap)
///     .collect()
///     .await;
/// assert_eq!(sizes, [100, 200, 300, 400]);
/// # }
/// ```
#[track_caller]
pub fn map_stream<S, F, Fut>(
    input: S,
    limit: usize,
    f: F,
) -> AsyncGenerator<'static, Result<Fut::Output, Error>>
where
    S: Stream + Send + 'static,
    S::Item: Send + 'static,
    F: Fn(S::Item) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    check_limit("map_stream", limit);
    stream_fan_out(input, limit, f, true, Location::caller())
}

/// [`map_stream`] with the outputs in the order they finish: a slow item holds back
/// nothing. At most `limit` items are in flight; at most `limit` finished outputs wait for
/// the consumer.
///
/// # Panics
///
/// If `limit` is 0.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use futures_util::StreamExt;
///
/// let ids = futures_util::stream::iter(1..=4);
/// let mut found: Vec<_> = goscope::map_stream_unordered(ids, 4, |id| async move { id * 2 })
///     .map(Result::unwrap)
///     .collect()
///     .await;
/// found.sort();
/// assert_eq!(found, [2, 4, 6, 8]);
/// # }
/// ```
#[track_caller]
pub fn map_stream_unordered<S, F, Fut>(
    input: S,
    limit: usize,
    f: F,
) -> AsyncGenerator<'static, Result<Fut::Output, Error>>
where
    S: Stream + Send + 'static,
    S::Item: Send + 'static,
    F: Fn(S::Item) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    check_limit("map_stream_unordered", limit);
    stream_fan_out(input, limit, f, false, Location::caller())
}

/// The items of a stream, taken in turns, and — when the output is ordered — the window
/// of permits an item needs to be taken.
struct StreamFeed<S> {
    input: tokio::sync::Mutex<(usize, Pin<Box<S>>)>,
    window: Option<Arc<Semaphore>>,
}

impl<S> Feed for StreamFeed<S>
where
    S: Stream + Send + 'static,
    S::Item: Send + 'static,
{
    /// The item, and the window slot it holds until its output is streamed.
    type Item = (S::Item, Option<OwnedSemaphorePermit>);

    async fn take(&self) -> Option<(usize, Self::Item)> {
        let permit = match &self.window {
            // (Never closed: `Err` cannot happen.)
            Some(window) => Some(Arc::clone(window).acquire_owned().await.ok()?),
            None => None,
        };
        let mut input = self.input.lock().await;
        let item = input.1.next().await?;
        input.0 += 1;
        Some((input.0 - 1, (item, permit)))
    }
}

/// An output on its way to the consumer: its index, the value (or the panic), and — when
/// ordered — the window slot it holds until it is streamed.
type Output<T> = (usize, Result<T, Error>, Option<OwnedSemaphorePermit>);

fn stream_fan_out<S, F, Fut>(
    input: S,
    limit: usize,
    f: F,
    ordered: bool,
    at: &'static Location<'static>,
) -> AsyncGenerator<'static, Result<Fut::Output, Error>>
where
    S: Stream + Send + 'static,
    S::Item: Send + 'static,
    F: Fn(S::Item) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    AsyncGenerator::new(move |mut co| async move {
        crate::panic::install_process_hook();
        let feed = Arc::new(StreamFeed {
            input: tokio::sync::Mutex::new((0, Box::pin(input))),
            window: ordered.then(|| Arc::new(Semaphore::new(limit))),
        });
        let (tx, rx) = crate::chan::bounded::<Output<Fut::Output>>(limit);
        let f = Arc::new(f);
        let worker = move |mut items: super::Items<StreamFeed<S>>| {
            let (f, tx) = (Arc::clone(&f), tx.clone());
            async move {
                while let Some((index, (item, permit))) = items.next().await {
                    let output = Settled::new(f(item), at).await;
                    if tx.send((index, output, permit)).await.is_err() {
                        break; // The consumer is gone.
                    }
                    tokio::task::consume_budget().await;
                }
                Ok::<_, Error>(())
            }
        };
        let scope = Scope::<'static, Error>::new();
        let streamed = run(&scope, async {
            // The starter: it owns the last sender (in `worker`), so the channel closes
            // once it and every worker are done.
            let starter = {
                let scope = scope.clone();
                async move { drive(&scope, &feed, limit, worker).await.map(drop) }
            };
            scope.spawn(starter);
            let mut waiting = InOrder::with_capacity(if ordered { limit } else { 0 });
            while let Some((index, output, permit)) = rx.recv().await {
                let mut next = Some((output, permit));
                if ordered {
                    waiting.insert(index, next.take().expect("just made"));
                }
                while let Some((output, permit)) = next.take().or_else(|| waiting.pop()) {
                    let failed = output.is_err();
                    co.yield_(output.map_err(Error::received)).await;
                    drop(permit);
                    if failed {
                        // The stream ends here: stop the workers.
                        scope.token().cancel();
                        return Ok(());
                    }
                }
            }
            Ok(())
        })
        .await;
        if let Err(error) = streamed {
            co.yield_(Err(error.received())).await;
        }
    })
}
