//! Structured concurrency: a [`Scope`] owns its children, and the `scope!` block that
//! created it returns only once every child has finished or been cancelled and dropped.
//!
//! # Design
//!
//! A scope is a cheap handle (`Arc`) to shared state: the children waiting to be started,
//! and — shared with its `'static` children, which cannot borrow the rest — its failure
//! record and cancellation token. [`run`] polls, in the calling task, the body of the
//! scope and every local child, in a set of our own, and the watchers in a
//! `FuturesUnordered`:
//!
//! - `spawn_local` children are futures in that set (`local_set`, with its own design
//!   notes): they may borrow anything that outlives the scope, and run concurrently with
//!   the body but not in parallel. Each is one allocation, a node of the set holding the
//!   future, its `limit` admission and the handle's slot; it needs no token: the scope
//!   cancels its local children by dropping their futures (which settles the handles as
//!   cancelled), a handle by a flag the node checks at every poll.
//! - `spawn` children are tasks in a `JoinSet` the scope owns, in parallel. Each task fills
//!   its own result slot and reports its own failure to the scope's failure record (an
//!   `Arc` it holds: the rest of the scope borrows `'env`); `run` polls the set until it
//!   is empty, and aborts it when the scope is cancelled. A guard in each task settles its
//!   slot as cancelled if the task is dropped unfinished; a task cancelled before it
//!   started never starts.
//! - `spawn_blocking` children are blocking-pool tasks watched from the scope's set of
//!   watchers; they see cancellation only through [`Scope::token`].
//! - An adopted [`Task`](crate::Task) (`s.adopt(task)`, the one way to adopt one: `spawn`
//!   takes any future, a `Task` too, and spawns it) is watched the same way: on
//!   cancellation it is cancelled and awaited until it has stopped.
//!
//! Dropping the `run` future drops the set of local children and aborts the `JoinSet`
//! (its guard does both), so nothing a scope started outlives it, on every path.
//!
//! The files, by concept: `handle.rs` ([`Scope`] and the spawn family), `child.rs` (a
//! child as the scope runs it, and where its outcome goes), `slot.rs` ([`ScopedTask`] and
//! its slot), `failure.rs` (the one record every failure goes through, and the one place
//! that decides the primary), `run.rs` (what `scope!` expands to), `local_set.rs` (the set
//! of local children), `typed.rs` (the bounds the expansion checks).
//!
//! ## The scoped-task trilemma
//!
//! A scoped task can have at most two of: running in parallel, borrowing from the caller,
//! and being safe without blocking a thread (the future that holds the borrow may be
//! forgotten, so a parallel task must not hold one). Each spawn method takes a side:
//! `spawn` runs in parallel and so requires `'static`; `spawn_local` borrows and so is
//! polled by the scope's own future, in the caller's task; neither needs `unsafe` nor
//! blocks a thread. A `spawn_local` child cannot borrow the scope handle itself (that would
//! be a self-borrow the scope's destructor makes unsound without `unsafe`): it takes a
//! clone, `let s = s.clone();`.
//!
//! ## Invariants
//!
//! 1. `run` returns only when the body is done and the set of children is empty (nothing
//!    pending either): every child finished, or was cancelled and dropped (`run.rs`).
//! 2. The first failure — a child's `Err`, a child's panic, the body's `Err`, the
//!    deadline — is recorded on one path (`failure.rs`), which cancels the scope's token;
//!    `run` then aborts the `'static` tasks, drops the local children, and the watchers'
//!    tokens (children of the scope's) cancel their tasks.
//!    Children cancelled that way end with `Error::Cancelled`, which is never a failure.
//!    The body is cancelled too (dropped at its `.await`) — unless, in the one poll it is
//!    given after the failure, it took the failing child's error by awaiting its handle:
//!    then the body owns that error and runs on, and its result is the scope's.
//! 3. After the first failure nothing starts: `spawn` on a cancelled scope returns a
//!    handle already resolved to `Err(Error::Cancelled)`.
//! 4. The error `run` returns is the primary one, as the failure record decides it: the
//!    first child's error if it is still in that child's slot; if the body took it by
//!    awaiting the child's handle, the body had it, and the scope returns what the body
//!    returned.
//! 5. A panic in a child is captured where it happens (`panic::catch`), shown to the panic
//!    hook at once, and becomes `Error::Panicked` converted into `E`. Its tracing report
//!    (`panic::Unreceived`) is kept beside the error in the child's failure cell:
//!    delivered (DEBUG) when the handle or the scope's result takes the error, told at
//!    ERROR if the cell is dropped with it still there (a panic after the first failure
//!    that no handle took, a supervised child whose handle was dropped).
//! 6. Tracing: `run` polls in the scope's `goscope.scope` span (with where the scope is);
//!    each local and `'static` child runs in a `goscope.child` span under it, with its
//!    spawn location. With no subscriber, no span is made.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

mod child;
mod failure;
mod handle;
mod local_set;
mod run;
mod slot;
mod typed;

pub use handle::Scope;
pub use run::run;
pub use slot::ScopedTask;
pub use typed::{Handle, ScopeError, typed};

tokio::task_local! {
    /// The token of the innermost scope the running code belongs to: set while a scope
    /// polls its body and local children, and for the whole life of its `'static`
    /// children's tasks. A new scope's token is a child of it, so cancelling a scope
    /// cancels every scope nested in it, at any depth, with no token passed by hand.
    ///
    /// Shared (`Arc`): it is set around every poll of a `'static` child, and cloning a
    /// token takes its tree's lock.
    pub(crate) static CURRENT: Arc<CancellationToken>;
}

/// Resolves when the scope the calling code runs in is cancelled (its first failure, its
/// future dropped, an enclosing scope cancelled); never, outside any scope.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use goscope::{Error, scope};
///
/// let out: Result<(), Error> = scope!(|s| {
///     s.spawn(async {
///         goscope::cancelled().await; // a child that stops when told
///         Ok(())
///     });
///     s.spawn(async { Err::<(), _>(Error::TimedOut(Duration::from_secs(1))) }); // fails
///     Ok(())
/// });
/// assert!(matches!(out, Err(Error::TimedOut(_))));
/// # }
/// ```
pub async fn cancelled() {
    match CURRENT.try_with(|token| CancellationToken::clone(token)) {
        Ok(token) => token.cancelled_owned().await,
        Err(_) => std::future::pending().await,
    }
}

#[cfg(all(test, not(goscope_loom)))]
mod tests;

#[cfg(all(test, goscope_loom))]
mod loom;
