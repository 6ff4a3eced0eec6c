//! Bounded fan-out over the items of an iterator or a stream: [`map`], [`try_map`],
//! [`for_each`], [`try_for_each`], [`go_for_each`], [`map_stream`],
//! [`map_stream_unordered`].
//!
//! # Design
//!
//! **Fan-out runs in workers, not a task per item.** `map(items, limit, f)` starts at most
//! `limit` workers — the `'static` children of a scope of its own — and each takes the next
//! item from the shared iterator (under a lock, with its index), awaits `f(item)`, and goes
//! back for more, as a Go worker pool does. So:
//! - the work runs in parallel on the runtime's threads (not inside one task, as
//!   `buffer_unordered` does), and `limit` is a true bound: there are never more than
//!   `limit` workers, and never more workers than items (one is started only for an item
//!   that is there);
//! - a slow item holds up only its own worker: the others keep taking items, and each
//!   worker is its own task, polled when it is woken (no `FuturesUnordered`-style
//!   starvation, where one task's set stops polling its futures while the caller is busy);
//! - an item costs one lock of the iterator and no allocation or spawn: `limit` spawns for
//!   the whole run. Outputs come back as `(index, value)` pairs and are put in item order
//!   at the end. A worker calls `tokio::task::consume_budget` after each item, so a run of
//!   items that are always ready still yields to the runtime.
//!
//! The scope gives the rest: a failure (`try_map`'s `Err`, `map`'s panic) cancels the other
//! workers at their next `.await` and starts no more items; an enclosing scope's
//! cancellation reaches the workers with no token passed by hand; dropping the future
//! cancels every item; nothing outlives the call. `for_each` and `try_for_each` never fail
//! fast: they catch each item's panic (the hook sees it) and go on.
//!
//! The streaming forms take turns at the input stream under an async lock (a stream has
//! one consumer), and send `(index, output)` over a bounded goscope channel to the
//! returned [`AsyncGenerator`](crate::AsyncGenerator), which re-orders them when asked to.
//! Ordered output keeps at most `limit` items in flight or waiting their turn (a window of
//! permits, each released when its output is streamed), as `StreamExt::buffered` does.
//!
//! # Invariants
//!
//! 1. At most `limit` calls of `f` are in progress at once, for every fan-out helper.
//! 2. `map` and `try_map` return outputs in item order; `try_for_each` one slot per item,
//!    in item order.
//! 3. When a fan-out helper's future returns (or is dropped), no call of `f` is running:
//!    the workers are the children of a scope, which awaits or aborts them.
//! 4. No panic is lost: `map`/`try_map` return it, `for_each`/`go_for_each` return the
//!    first and report all to the hook, `try_for_each` and the streams put it in its item's
//!    slot.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::StreamExt;
use parking_lot::Mutex;

use crate::combinators::settle::Settled;
use crate::generator::AsyncGenerator;
use crate::scope::{Scope, run};
use crate::{Error, Task};

/// Panics with our message if `limit` is 0 (no item could ever start).
#[track_caller]
fn check_limit(helper: &str, limit: usize) {
    assert!(
        limit > 0,
        "`goscope::{helper}` with a limit of 0: no item could ever start; use at least 1"
    );
}

/// The items, shared by the workers: each takes the next one, with its index.
struct Feed<I> {
    next: Mutex<(usize, I)>,
}

impl<I: Iterator> Feed<I> {
    fn new(items: I) -> Arc<Self> {
        Arc::new(Feed {
            next: Mutex::new((0, items)),
        })
    }

    /// The next item and its index, or `None` once the items are used up.
    fn take(&self) -> Option<(usize, I::Item)> {
        let mut next = self.next.lock();
        let (index, items) = &mut *next;
        let item = items.next()?;
        let taken = *index;
        *index += 1;
        Some((taken, item))
    }
}

/// `try_for_each`'s finished items: `(index, outcome)`.
type Slots<E> = Vec<(usize, Result<(), E>)>;

/// A worker's items: the one it was started for, then the next ones from the feed.
struct Items<I: Iterator> {
    feed: Arc<Feed<I>>,
    first: Option<(usize, I::Item)>,
}

impl<I: Iterator> Items<I> {
    /// The next item and its index. (After each item a worker spends a unit of the
    /// task's cooperative budget, `tokio::task::consume_budget`, so that a run of items
    /// that are always ready still yields to the runtime.)
    fn next(&mut self) -> Option<(usize, I::Item)> {
        self.first.take().or_else(|| self.feed.take())
    }
}

/// Runs `worker` over the items in at most `limit` workers: the `'static` children of a
/// scope of our own (so a failure cancels the rest, and an enclosing scope's cancellation
/// reaches them). A worker is started only for an item there is: never more workers than
/// items. Returns each worker's output, or the scope's first failure.
async fn drive<I, W, Fut, R, E>(feed: &Arc<Feed<I>>, limit: usize, worker: W) -> Result<Vec<R>, E>
where
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
    W: Fn(Items<I>) -> Fut,
    Fut: Future<Output = Result<R, E>> + Send + 'static,
    R: Send + 'static,
    E: From<Error> + Send + 'static,
{
    let scope = Scope::<E>::new();
    run(&scope, async {
        let mut workers = Vec::new();
        while workers.len() < limit {
            let Some(first) = feed.take() else { break };
            let items = Items {
                feed: Arc::clone(feed),
                first: Some(first),
            };
            workers.push(scope.spawn(worker(items)));
        }
        let mut outputs = Vec::with_capacity(workers.len());
        for worker in workers {
            outputs.push(worker.await?);
        }
        Ok(outputs)
    })
    .await
}

/// The workers' `(index, value)` pairs, in index order.
fn in_order<T>(per_worker: Vec<Vec<(usize, T)>>) -> Vec<T> {
    let total = per_worker.iter().map(Vec::len).sum();
    by_index(total, per_worker.into_iter().flatten())
        .into_iter()
        .flatten()
        .collect()
}

/// `total` slots, each holding the value of that index if there is one.
fn by_index<T>(total: usize, pairs: impl IntoIterator<Item = (usize, T)>) -> Vec<Option<T>> {
    let mut slots: Vec<Option<T>> = std::iter::repeat_with(|| None).take(total).collect();
    for (index, value) in pairs {
        slots[index] = Some(value);
    }
    slots
}

/// Calls `f` on every item, at most `limit` at a time in parallel tasks, and returns the
/// outputs in the order of the items (whatever order they finish in).
///
/// Fails fast: if `f` panics, the items still running are cancelled and `map` returns
/// `Err(Error::Panicked(_))` (the panic also goes to the panic hook); it returns
/// `Err(Error::Cancelled)` if an enclosing scope is cancelled. Dropping the future cancels
/// every item. The items are taken from the iterator one at a time, as workers free up.
///
/// # Panics
///
/// If `limit` is 0.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goscope::Error> {
/// let lengths = goscope::map(vec!["ada", "grace", "linus"], 2, |name| async move {
///     name.len()
/// })
/// .await?;
/// assert_eq!(lengths, [3, 5, 5]);
/// # Ok(())
/// # }
/// ```
#[track_caller]
pub fn map<I, F, Fut>(
    items: I,
    limit: usize,
    f: F,
) -> impl Future<Output = Result<Vec<Fut::Output>, Error>> + Send
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    check_limit("map", limit);
    ordered(items.into_iter(), limit, f, Ok::<_, Error>)
}

/// [`map`] for a fallible `f`: the outputs in item order, or the first `Err` — which
/// cancels the items still running (they stop at their next `.await`) and starts no more.
///
/// A panic in `f` is a failure too: `Err(Error::Panicked(_).into())`. The error type needs
/// `From<goscope::Error>`, as a `scope!`'s does.
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
/// #[derive(Debug, PartialEq)]
/// enum FetchError { NotFound(u32), Runtime }
/// impl From<goscope::Error> for FetchError {
///     fn from(_: goscope::Error) -> Self { FetchError::Runtime }
/// }
///
/// let found = goscope::try_map(1..=3, 2, |id| async move { Ok::<_, FetchError>(id * 10) }).await;
/// assert_eq!(found, Ok(vec![10, 20, 30]));
///
/// let missing = goscope::try_map(1..=3, 2, |id| async move {
///     if id == 2 { Err(FetchError::NotFound(id)) } else { Ok(id) }
/// })
/// .await;
/// assert_eq!(missing, Err(FetchError::NotFound(2)));
/// # }
/// ```
#[track_caller]
pub fn try_map<I, F, Fut, T, E>(
    items: I,
    limit: usize,
    f: F,
) -> impl Future<Output = Result<Vec<T>, E>> + Send
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    check_limit("try_map", limit);
    ordered(items.into_iter(), limit, f, std::convert::identity)
}

/// `map` and `try_map`: `outcome` makes each output a `Result` (`Ok` for `map`, as it is
/// for `try_map`). Each worker keeps its `(index, value)` pairs; they are put in item
/// order at the end.
async fn ordered<I, F, Fut, O, T, E>(items: I, limit: usize, f: F, outcome: O) -> Result<Vec<T>, E>
where
    O: Fn(Fut::Output) -> Result<T, E> + Copy + Send + Sync + 'static,
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    let f = Arc::new(f);
    let per_worker = drive(&Feed::new(items), limit, move |mut items| {
        let f = Arc::clone(&f);
        async move {
            let mut outputs = Vec::new();
            while let Some((index, item)) = items.next() {
                outputs.push((index, outcome(f(item).await)?));
                tokio::task::consume_budget().await;
            }
            Ok::<_, E>(outputs)
        }
    })
    .await?;
    Ok(in_order(per_worker))
}

/// Calls `f` on every item, at most `limit` at a time in parallel tasks, and returns once
/// every item is done.
///
/// Every item runs even if another panics (as Go's `ForEach`): each panic goes to the
/// panic hook, and `for_each` then returns `Err(Error::Panicked(_))` with the panic of the
/// first item (in item order) that panicked. `Err(Error::Cancelled)` if an enclosing scope
/// is cancelled; dropping the future cancels every item.
///
/// # Panics
///
/// If `limit` is 0.
///
/// # Examples
///
/// Notify five users, at most three at a time:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goscope::Error> {
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// let sent = Arc::new(AtomicUsize::new(0));
/// let users = vec!["ada", "grace", "linus", "barbara", "ken"];
/// let counter = Arc::clone(&sent);
/// goscope::for_each(users, 3, move |user| {
///     let sent = Arc::clone(&counter);
///     async move {
///         tokio::task::yield_now().await; // send the notification to `user`
///         sent.fetch_add(1, Ordering::Relaxed);
///     }
/// })
/// .await?;
/// assert_eq!(sent.load(Ordering::Relaxed), 5);
/// # Ok(())
/// # }
/// ```
#[track_caller]
pub fn for_each<I, F, Fut>(
    items: I,
    limit: usize,
    f: F,
) -> impl Future<Output = Result<(), Error>> + Send
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    check_limit("for_each", limit);
    for_each_at(items.into_iter(), limit, f, Location::caller())
}

async fn for_each_at<I, F, Fut>(
    items: I,
    limit: usize,
    f: F,
    at: &'static Location<'static>,
) -> Result<(), Error>
where
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    crate::panic::install_process_hook();
    let f = Arc::new(f);
    let first_panics = drive(&Feed::new(items), limit, move |mut items| {
        let f = Arc::clone(&f);
        async move {
            let mut first_panic: Option<(usize, Error)> = None;
            while let Some((index, item)) = items.next() {
                if let Err(panic) = Settled::new(f(item), at).await {
                    first_panic.get_or_insert((index, panic));
                }
                tokio::task::consume_budget().await;
            }
            Ok::<_, Error>(first_panic)
        }
    })
    .await?;
    match first_panics
        .into_iter()
        .flatten()
        .min_by_key(|(index, _)| *index)
    {
        // The first panic is returned; the others, dropped here, are told at ERROR.
        Some((_, panic)) => Err(panic.received()),
        None => Ok(()),
    }
}

/// Calls the fallible `f` on every item, at most `limit` at a time in parallel tasks, and
/// returns one slot per item, in item order: `Ok(())`, the item's `Err`, or — if `f`
/// panicked on it — `Err(Error::Panicked(_).into())`. Never fails fast: every item runs.
///
/// If an enclosing scope is cancelled, the items still running are cancelled and every
/// item not done (including those not yet taken from the iterator) gets
/// `Err(Error::Cancelled.into())`.
///
/// # Panics
///
/// If `limit` is 0.
///
/// # Examples
///
/// Jobs with per-item errors:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// #[derive(Debug, PartialEq)]
/// enum JobError { Invalid(u32), Runtime(String) }
/// impl From<goscope::Error> for JobError {
///     fn from(e: goscope::Error) -> Self { JobError::Runtime(e.to_string()) }
/// }
///
/// let outcomes = goscope::try_for_each(vec![1, 2, 3, 4], 2, |job| async move {
///     match job {
///         2 => Err(JobError::Invalid(job)),
///         3 => panic!("job 3 broke"),
///         _ => Ok(()),
///     }
/// })
/// .await;
/// assert_eq!(outcomes[0], Ok(()));
/// assert_eq!(outcomes[1], Err(JobError::Invalid(2)));
/// assert!(matches!(&outcomes[2], Err(JobError::Runtime(m)) if m.contains("job 3 broke")));
/// assert_eq!(outcomes[3], Ok(()));
/// # }
/// ```
#[track_caller]
pub fn try_for_each<I, F, Fut, E>(
    items: I,
    limit: usize,
    f: F,
) -> impl Future<Output = Vec<Result<(), E>>> + Send
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: From<Error> + Send + 'static,
{
    check_limit("try_for_each", limit);
    let at = Location::caller();
    let items = items.into_iter();
    async move {
        crate::panic::install_process_hook();
        // Kept outside the workers, so that what finished survives a cancellation.
        let done: Arc<Mutex<Slots<E>>> = Arc::default();
        let f = Arc::new(f);
        let feed = Feed::new(items);
        // Cancelled (an enclosing scope): the items still running stop; what finished
        // is in `done`.
        let _cancelled = drive(&feed, limit, |mut items| {
            let (f, done) = (Arc::clone(&f), Arc::clone(&done));
            async move {
                while let Some((index, item)) = items.next() {
                    let outcome = match Settled::new(f(item), at).await {
                        Ok(outcome) => outcome,
                        Err(panic) => Err(E::from(panic.received())),
                    };
                    done.lock().push((index, outcome));
                    tokio::task::consume_budget().await;
                }
                Ok::<_, Error>(())
            }
        })
        .await;
        // Cancelled: the items not taken yet get their slot too.
        while feed.take().is_some() {}
        let total = feed.next.lock().0;
        by_index(total, std::mem::take(&mut *done.lock()))
            .into_iter()
            .map(|slot| slot.unwrap_or_else(|| Err(Error::Cancelled.into())))
            .collect()
    }
}

/// Starts [`for_each`] in the background and returns at once: the items are moved in, so
/// the caller goes on. Await the handle (or [`ForEachTask::wait`]) for the outcome; drop
/// it, or [`cancel`](ForEachTask::cancel) it, to cancel the items still running and those
/// not started; [`detach`](ForEachTask::detach) it to let them run on alone (panics then
/// reach only the panic hook).
///
/// # Panics
///
/// If `limit` is 0, or outside a Tokio runtime (like [`go`](fn@crate::go)).
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goscope::Error> {
/// let (tx, rx) = goscope::chan::unbounded();
/// let orders = vec![101, 102, 103];
/// let notifying = goscope::go_for_each(orders, 10, move |order| {
///     let tx = tx.clone();
///     async move {
///         let _ = tx.send(order).await; // notify the customer of `order`
///     }
/// });
/// // … the caller goes on …
/// notifying.wait().await?;
/// let mut notified: Vec<i32> = rx.iter().collect();
/// notified.sort();
/// assert_eq!(notified, [101, 102, 103]);
/// # Ok(())
/// # }
/// ```
#[track_caller]
pub fn go_for_each<I, F, Fut>(items: I, limit: usize, f: F) -> ForEachTask
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    check_limit("go_for_each", limit);
    let at = Location::caller();
    ForEachTask {
        task: crate::go(for_each_at(items.into_iter(), limit, f, at)),
    }
}

/// The handle of a [`go_for_each`]: await it for the outcome (as [`for_each`]'s).
///
/// Dropping it cancels the items still running and those not started, like dropping a
/// [`Task`]; [`detach`](Self::detach) lets them run on.
#[must_use = "dropping a `ForEachTask` cancels its items: `.await` it, or `.detach()` it"]
pub struct ForEachTask {
    task: Task<Result<(), Error>>,
}

impl ForEachTask {
    /// Waits until every item is done: `Ok(())`, or the first panic (in item order), or
    /// `Err(Error::Cancelled)` if it was cancelled.
    pub async fn wait(self) -> Result<(), Error> {
        self.await
    }

    /// Blocks this thread until every item is done, with [`wait`](Self::wait)'s outcome:
    /// for a thread that does not run async code (as [`Task::wait_blocking`]).
    ///
    /// # Panics
    ///
    /// Inside a goscope task (`.await` the handle there), as [`Task::wait_blocking`].
    ///
    /// ```
    /// let rt = tokio::runtime::Runtime::new().unwrap();
    /// let handle = {
    ///     let _enter = rt.enter();
    ///     goscope::go_for_each(0..4, 2, |_n| async {})
    /// };
    /// let outcome = std::thread::spawn(move || handle.wait_blocking()).join().unwrap();
    /// assert!(outcome.is_ok());
    /// ```
    pub fn wait_blocking(self) -> Result<(), Error> {
        crate::task::wait_blocking(self, "ForEachTask::wait_blocking", "the handle")
    }

    /// Cancels the items still running (they stop at their next `.await`) and those not
    /// started.
    pub fn cancel(&self) {
        self.task.cancel();
    }

    /// Whether every item is done (or the whole was cancelled and has stopped).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Lets the items run on with no one to wait for them; a panic reaches the panic hook.
    pub fn detach(self) {
        self.task.detach();
    }
}

impl Future for ForEachTask {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.task)
            .poll(cx)
            .map(|outcome| outcome.and_then(|items| items))
    }
}

impl fmt::Debug for ForEachTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForEachTask")
            .field("finished", &self.is_finished())
            .finish()
    }
}

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

/// The input of a streaming fan-out: the stream and the index of its next item. Workers
/// take turns at it (a stream has one consumer at a time).
type Input<S> = tokio::sync::Mutex<(usize, Pin<Box<S>>)>;

/// An output on its way to the consumer: its index, the value (or the panic), and — when
/// ordered — the window slot it holds until it is streamed.
type Output<T> = (
    usize,
    Result<T, Error>,
    Option<tokio::sync::OwnedSemaphorePermit>,
);

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
        let input: Arc<Input<S>> = Arc::new(tokio::sync::Mutex::new((0, Box::pin(input))));
        let window = ordered.then(|| Arc::new(tokio::sync::Semaphore::new(limit)));
        let (tx, rx) = crate::chan::bounded::<Output<Fut::Output>>(limit);
        let worker = Worker {
            input,
            f: Arc::new(f),
            window,
            tx,
            at,
        };
        let scope = Scope::<'static, Error>::new();
        let streamed = run(&scope, async {
            // The first worker; each one starts another when it takes an item, up to
            // `limit` (never more workers than items).
            let spawned = Arc::new(std::sync::atomic::AtomicUsize::new(1));
            scope.spawn(worker.run(scope.clone(), spawned, limit));
            let mut waiting = BTreeMap::new();
            let mut next = 0;
            while let Some((index, output, permit)) = rx.recv().await {
                if !ordered {
                    let failed = output.is_err();
                    co.yield_(output.map_err(Error::received)).await;
                    if failed {
                        // The stream ends here: stop the workers.
                        scope.token().cancel();
                        return Ok(());
                    }
                    continue;
                }
                waiting.insert(index, (output, permit));
                while let Some((output, permit)) = waiting.remove(&next) {
                    next += 1;
                    let failed = output.is_err();
                    co.yield_(output.map_err(Error::received)).await;
                    drop(permit);
                    if failed {
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

/// A worker of a streaming fan-out.
struct Worker<S: Stream, F, T> {
    input: Arc<Input<S>>,
    f: Arc<F>,
    window: Option<Arc<tokio::sync::Semaphore>>,
    tx: crate::chan::Sender<Output<T>>,
    at: &'static Location<'static>,
}

impl<S: Stream, F, T> Clone for Worker<S, F, T> {
    fn clone(&self) -> Self {
        Worker {
            input: Arc::clone(&self.input),
            f: Arc::clone(&self.f),
            window: self.window.clone(),
            tx: self.tx.clone(),
            at: self.at,
        }
    }
}

impl<S, F, Fut> Worker<S, F, Fut::Output>
where
    S: Stream + Send + 'static,
    S::Item: Send + 'static,
    F: Fn(S::Item) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    /// Takes items until the input ends (or the consumer is gone), starting one more
    /// worker at its first item while there are fewer than `limit`.
    /// (Boxed: a worker starts workers, and a future cannot contain its own type.)
    fn run(
        self,
        scope: Scope<'static, Error>,
        spawned: Arc<std::sync::atomic::AtomicUsize>,
        limit: usize,
    ) -> Pin<Box<dyn Future<Output = Result<(), Error>> + Send>> {
        Box::pin(self.work(scope, spawned, limit))
    }

    async fn work(
        self,
        scope: Scope<'static, Error>,
        spawned: Arc<std::sync::atomic::AtomicUsize>,
        limit: usize,
    ) -> Result<(), Error> {
        use std::sync::atomic::Ordering;
        let mut helped = false;
        loop {
            let permit = match &self.window {
                Some(window) => match Arc::clone(window).acquire_owned().await {
                    Ok(permit) => Some(permit),
                    Err(_) => return Ok(()),
                },
                None => None,
            };
            let (index, item) = {
                let mut input = self.input.lock().await;
                let Some(item) = input.1.next().await else {
                    return Ok(());
                };
                input.0 += 1;
                (input.0 - 1, item)
            };
            if !helped {
                helped = true;
                let more = spawned
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                        (n < limit).then_some(n + 1)
                    })
                    .is_ok();
                if more {
                    let next = self.clone();
                    scope.spawn(next.run(scope.clone(), Arc::clone(&spawned), limit));
                }
            }
            let output = Settled::new((self.f)(item), self.at).await;
            if self.tx.send((index, output, permit)).await.is_err() {
                return Ok(());
            }
        }
    }
}
