//! Bounded fan-out over the items of an iterator ([`map`], [`try_map`], [`for_each`],
//! [`try_for_each`], [`go_for_each`], in `iter.rs`) or of a stream ([`map_stream`],
//! [`map_stream_unordered`], in `stream.rs`), on one engine: this module's [`drive`].
//!
//! # Design
//!
//! **Fan-out runs in workers, not a task per item.** `map(items, limit, f)` starts at most
//! `limit` workers — the `'static` children of a scope of its own — and each takes the next
//! item from a shared [`Feed`] (with its index), awaits `f(item)`, and goes back for more,
//! as a Go worker pool does. So:
//! - the work runs in parallel on the runtime's threads (not inside one task, as
//!   `buffer_unordered` does), and `limit` is a true bound: there are never more than
//!   `limit` workers, and never more workers than items (one is started only for an item
//!   that is there);
//! - a slow item holds up only its own worker: the others keep taking items, and each
//!   worker is its own task, polled when it is woken (no `FuturesUnordered`-style
//!   starvation, where one task's set stops polling its futures while the caller is busy);
//! - an item costs one take from the feed and no allocation or spawn: `limit` spawns for
//!   the whole run. A worker spends a unit of its task's cooperative budget
//!   (`tokio::task::consume_budget`) after each item, so a run of items that are always
//!   ready still yields to the runtime. (In the worker loops themselves: awaited inside
//!   [`Items::next`] it cost 30 instructions an item more, measured with callgrind.)
//!
//! The scope gives the rest: a failure (`try_map`'s `Err`, `map`'s panic) cancels the other
//! workers at their next `.await` and starts no more items; an enclosing scope's
//! cancellation reaches the workers with no token passed by hand; dropping the future
//! cancels every item; nothing outlives the call. `for_each` and `try_for_each` never fail
//! fast: they catch each item's panic (the hook sees it) and go on.
//!
//! ## What the iterator and stream forms share
//!
//! Everything but the feed and what a worker does with an output:
//! - [`drive`] — start at most `limit` workers, each with an item taken for it, in a scope
//!   the caller gives, and collect what each returns — and [`Items`], a worker's items
//!   (its first, then the feed's) — are the one engine;
//! - `Settled` (over `crate::panic::catch`) captures every item's panic;
//! - [`InOrder`](super::in_order::InOrder) puts outputs back in item order.
//!
//! The feeds differ because their sources do: an iterator is taken from under a lock
//! (`iter::IterFeed`), a stream has one consumer at a time and must be awaited
//! (`stream::StreamFeed`, which also holds `map_stream`'s window of permits, so that an
//! item is taken only with a permit). The iterator forms run `drive` as the body of their
//! scope and collect per-worker outputs; the stream forms run it in a child of their scope
//! (so that outputs stream while it waits for items) and have their workers send each
//! output to the body, which yields it to the [`AsyncGenerator`](crate::AsyncGenerator)'s
//! consumer.
//!
//! # Invariants
//!
//! 1. At most `limit` calls of `f` are in progress at once, for every fan-out helper.
//! 2. `map` and `try_map` return outputs in item order; `try_for_each` one slot per item,
//!    in item order; `map_stream` streams in item order, with at most `limit` items taken
//!    and not yet streamed.
//! 3. When a fan-out helper's future returns (or is dropped), no call of `f` is running:
//!    the workers are the children of a scope, which awaits or aborts them.
//! 4. No panic is lost: `map`/`try_map` return it, `for_each`/`go_for_each` return the
//!    first and report all to the hook, `try_for_each` and the streams put it in its item's
//!    slot.

mod iter;
mod stream;

use std::future::Future;
use std::sync::Arc;

use crate::Error;
use crate::scope::Scope;

pub use iter::{
    ForEach, ForEachTask, Map, TryForEach, TryMap, for_each, go_for_each, map, try_for_each,
    try_map,
};
pub use stream::{map_stream, map_stream_unordered};

/// Panics with our message if `limit` is 0 (no item could ever start).
#[track_caller]
fn check_limit(helper: &str, limit: usize) {
    assert!(
        limit > 0,
        "`goscope::{helper}` with a limit of 0: no item could ever start; use at least 1"
    );
}

/// Where a fan-out's workers take their items, one at a time, each with its index (`0`,
/// `1`, … in the order taken).
trait Feed: Send + Sync + 'static {
    type Item: Send + 'static;

    /// The next item and its index, or `None` once there are no more.
    fn take(&self) -> impl Future<Output = Option<(usize, Self::Item)>> + Send;
}

/// A worker's items: the one it was started for, then the next ones from the feed.
struct Items<Fd: Feed> {
    feed: Arc<Fd>,
    first: Option<(usize, Fd::Item)>,
}

impl<Fd: Feed> Items<Fd> {
    /// The next item and its index: the first one, then the feed's.
    fn next(&mut self) -> impl Future<Output = Option<(usize, Fd::Item)>> + Send + '_ {
        let first = self.first.take();
        let feed = &self.feed;
        async move {
            match first {
                Some(first) => Some(first),
                None => feed.take().await,
            }
        }
    }
}

/// Runs `worker` over the items of `feed` in at most `limit` workers, the `'static`
/// children of `scope` (so a failure cancels the rest, and an enclosing scope's
/// cancellation reaches them). A worker is started only for an item there is: never more
/// workers than items. Returns each worker's output, or the first failure.
async fn drive<Fd, W, Fut, R, E>(
    scope: &Scope<'static, E>,
    feed: &Arc<Fd>,
    limit: usize,
    worker: W,
) -> Result<Vec<R>, E>
where
    Fd: Feed,
    W: Fn(Items<Fd>) -> Fut,
    Fut: Future<Output = Result<R, E>> + Send + 'static,
    R: Send + 'static,
    E: From<Error> + Send + 'static,
{
    let mut workers = Vec::new();
    while workers.len() < limit {
        let Some(first) = feed.take().await else {
            break;
        };
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
}
