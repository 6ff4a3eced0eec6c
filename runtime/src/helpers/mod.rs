//! Everyday helpers on the scope and task machinery: bounded fan-out ([`map`],
//! [`try_map`], [`for_each`], [`try_for_each`], [`go_for_each`], [`map_stream`],
//! [`map_stream_unordered`]), [`retry`] with backoff, a worker [`Pool`], a concurrency
//! [`Limiter`], a [`RateLimiter`] and a [`WaitGroup`].
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
//! [`Pool`] keeps its jobs in a bounded goscope channel read by `n` worker tasks; each job
//! is boxed once, polled under `catch_unwind`, and answers through a oneshot. [`Limiter`]
//! is Tokio's fair semaphore; [`RateLimiter`] is a token bucket in the GCRA form (one
//! timestamp under a lock; each waiter reserves its turn, so they pass in order);
//! [`WaitGroup`] is a counter and a `Notify`.
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
//!    slot, a `Pool` job's handle gets it; `retry` lets it unwind unless asked to retry it.
//! 5. `retry` never sleeps past its deadline, and a sleep ends when the surrounding scope
//!    is cancelled.

mod fan_out;
mod limit;
mod pool;
mod retry;

pub use fan_out::{
    ForEachTask, for_each, go_for_each, map, map_stream, map_stream_unordered, try_for_each,
    try_map,
};
pub use limit::{Limiter, LimiterPermit, RateLimiter, WaitGroup};
pub use pool::{Pool, PoolTask, TrySubmitError};
pub use retry::{Attempt, Jitter, Retry, WithAttempt, WithoutAttempt, retry};
