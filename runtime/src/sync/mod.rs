//! Synchronisation helpers on the scope and task machinery: a worker [`Pool`], a
//! concurrency [`Limiter`], a [`RateLimiter`], a [`WaitGroup`], and [`retry`] with backoff.
//!
//! # Design
//!
//! [`Pool`] keeps its jobs in a bounded goscope channel read by `n` worker tasks; each job
//! is boxed once, polled under `catch_unwind`, and answers through a oneshot. [`Limiter`]
//! is Tokio's fair semaphore; [`RateLimiter`] is a token bucket in the GCRA form (one
//! timestamp under a lock; each waiter reserves its turn, so they pass in order);
//! [`WaitGroup`] is a counter and a `Notify`.
//!
//! # Invariants
//!
//! 1. No panic is lost: a `Pool` job's handle gets it; `retry` lets it unwind unless asked
//!    to retry it.
//! 2. `retry` never sleeps past its deadline, and a sleep ends when the surrounding scope
//!    is cancelled.

mod limit;
mod pool;
mod retry;

pub use limit::{Limiter, LimiterPermit, RateLimiter, WaitGroup};
pub use pool::{Pool, PoolTask, TrySubmitError};
pub use retry::{Jitter, Retry, RetryFn, WithAttempt, WithoutAttempt, retry};
