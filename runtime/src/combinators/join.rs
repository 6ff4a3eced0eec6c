//! Joining futures: the runtime half of `all!` ([`Branch`]), and [`all`] and [`try_all`]
//! over any number of futures.
//!
//! # Design
//!
//! `all!` and `race!` expand to a `poll_fn` over their branches, pinned on the stack of
//! the calling task: no allocation, and a branch may borrow anything the caller can. Every
//! poll polls every unfinished branch, as `tokio::join!` and `tokio::select!` do; `all!`
//! starts one branch later at each poll (so no branch always goes first and eats the
//! task's cooperative budget), `race!` by the race rule (see [`race`](crate::race)).
//!
//! The functions take a dynamic number of futures, so they cannot re-poll every future at
//! each wake-up: with 10,000 futures that is 10,000 polls for one ready future. They keep
//! the futures in the one [`Set`] of this module's siblings, which polls every future up
//! to [`SMALL`](super::set::SMALL) of them and only the woken ones above; its slots are
//! `Branch`es, so outputs wait in input order where they were computed. [`All`] starts
//! its passes one future later each time, as `all!` does.
//!
//! ## Invariants
//!
//! 1. A branch (or a future of a set) that has finished is never polled again; its output
//!    waits in its slot until the whole join is done.
//! 2. `all!`'s `?` branch, [`try_all`]'s `Err`: it ends the join at once; every other
//!    future, finished or not, is dropped before the join returns (`all!`'s branches are
//!    locals of the expansion's block; [`TryAll`] drops its set).
//! 3. Nothing here catches a panic (only [`settle`](crate::settle) does): a panicking
//!    branch unwinds through the join, which drops the other branches on the way.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use super::set::Set;

/// Runs every future concurrently, in the calling task, and returns their outputs in
/// input order: `all!` for a number of futures known only at run time.
///
/// A future that is woken is polled again; above 30 futures the others are not (the set
/// keeps a waker per future), so joining 10,000 futures costs a poll per wake-up, not
/// 10,000. Dropping the [`All`] drops every future.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// async fn square(n: u64) -> u64 {
///     tokio::task::yield_now().await;
///     n * n
/// }
///
/// let squares = goscope::all((1..=4).map(square)).await;
/// assert_eq!(squares, [1, 4, 9, 16]);
/// # }
/// ```
pub fn all<I>(futures: I) -> All<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    All {
        set: Set::new(futures.into_iter().map(IntoFuture::into_future)),
        turn: 0,
    }
}

/// The future of a join of every future of a set: their outputs, in input order.
///
/// This `struct` is created by [`all`]. See its documentation for more. Not cancel-safe:
/// dropping it drops every future, and the outputs of those that had finished.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct All<F: Future> {
    set: Set<F>,
    /// Where the next pass starts (one later each time).
    turn: usize,
}

/// The start of the next pass of a join: one future later than the last.
fn next_turn(turn: &mut usize, len: usize) -> usize {
    let start = *turn;
    *turn = if start + 1 >= len { 0 } else { start + 1 };
    start
}

impl<F: Future> Future for All<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let start = next_turn(&mut this.turn, this.set.len());
        let flow = ready!(this.set.poll(cx, start, "All", |slot, cx| {
            match slot.poll_done(cx) {
                true => Poll::Ready(ControlFlow::<std::convert::Infallible>::Continue(())),
                false => Poll::Pending,
            }
        }));
        let ControlFlow::Continue(()) = flow;
        Poll::Ready(this.set.finish(Branch::take))
    }
}

impl<F: Future> All<F> {
    /// The set, for the `Debug` of a future built on this one.
    pub(crate) fn set(&self) -> &Set<F> {
        &self.set
    }
}

impl<F: Future> fmt::Debug for All<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("All").field("set", &self.set).finish()
    }
}

/// Runs every future concurrently and returns their `Ok` values in input order — or, at
/// the first `Err`, drops every other future at once and returns that error (fail-fast).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// async fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
///     s.parse()
/// }
///
/// assert_eq!(goscope::try_all(["1", "2", "3"].map(parse)).await, Ok(vec![1, 2, 3]));
/// assert!(goscope::try_all(["1", "x", "3"].map(parse)).await.is_err());
/// # }
/// ```
pub fn try_all<I, T, E>(futures: I) -> TryAll<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture<Output = Result<T, E>>,
{
    TryAll {
        set: Set::new(futures.into_iter().map(IntoFuture::into_future)),
        turn: 0,
    }
}

/// The future of a fail-fast join: every `Ok` value in input order, or the first `Err`.
///
/// This `struct` is created by [`try_all`]. See its documentation for more. Not
/// cancel-safe: dropping it drops every future, and the `Ok` values of those that had
/// finished.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct TryAll<F: Future> {
    set: Set<F>,
    turn: usize,
}

impl<F, T, E> Future for TryAll<F>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<Vec<T>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let start = next_turn(&mut this.turn, this.set.len());
        let flow = ready!(this.set.poll(cx, start, "TryAll", |slot, cx| {
            slot.poll_try(cx).map(|failed| match failed {
                Some(error) => ControlFlow::Break(error),
                None => ControlFlow::Continue(()),
            })
        }));
        Poll::Ready(match flow {
            ControlFlow::Break(error) => {
                this.set.drop_all();
                Err(error)
            }
            ControlFlow::Continue(()) => Ok(this.set.finish(Branch::take_ok)),
        })
    }
}

impl<F: Future> fmt::Debug for TryAll<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryAll").field("set", &self.set).finish()
    }
}

pin_project! {
    /// A branch of `all!`, or a slot of a set: running, then holding its output until the
    /// join is done.
    #[doc(hidden)]
    #[project = BranchProj]
    #[project_replace = BranchOwn]
    pub enum Branch<F: Future> {
        Running { #[pin] fut: F },
        Done { output: F::Output },
        Taken,
    }
}

impl<F: Future> Branch<F> {
    /// A branch running `fut`.
    pub fn new(fut: F) -> Self {
        Branch::Running { fut }
    }

    /// Whether the branch is still running (not done, not taken).
    #[inline]
    pub(crate) fn is_running(&self) -> bool {
        matches!(self, Branch::Running { .. })
    }

    /// Polls the branch if it is still running; its output, once, when it finishes (the
    /// branch is then spent): for the races, which take a finished output at once.
    #[inline]
    pub(crate) fn poll_output(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        match self.as_mut().project() {
            BranchProj::Running { fut } => {
                let output = ready!(fut.poll(cx));
                self.project_replace(Branch::Taken);
                Poll::Ready(output)
            }
            _ => Poll::Pending,
        }
    }

    /// Polls the branch if it is still running; whether it is done.
    #[inline]
    pub fn poll_done(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> bool {
        if let BranchProj::Running { fut } = self.as_mut().project() {
            match fut.poll(cx) {
                Poll::Ready(output) => {
                    self.project_replace(Branch::Done { output });
                }
                Poll::Pending => return false,
            }
        }
        true
    }

    /// The output, once: after the join is done.
    pub fn take(self: Pin<&mut Self>) -> F::Output {
        match self.project_replace(Branch::Taken) {
            BranchOwn::Done { output } => output,
            _ => unreachable!("`all!` takes each branch's output once, after all are done"),
        }
    }
}

impl<T, E, F: Future<Output = Result<T, E>>> Branch<F> {
    /// Polls a `?` branch if it is still running: `Ready(Some(error))` if it failed (the
    /// branch is then spent), `Ready(None)` once it has an `Ok`.
    #[inline]
    pub fn poll_try(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        if let BranchProj::Running { fut } = self.as_mut().project() {
            match ready!(fut.poll(cx)) {
                Ok(value) => {
                    self.project_replace(Branch::Done { output: Ok(value) });
                }
                Err(error) => {
                    self.project_replace(Branch::Taken);
                    return Poll::Ready(Some(error));
                }
            }
        }
        Poll::Ready(None)
    }

    /// The `Ok` value of a `?` branch, once: after the join is done.
    pub fn take_ok(self: Pin<&mut Self>) -> T {
        match self.take() {
            Ok(value) => value,
            Err(_) => unreachable!("a `?` branch that failed ended the join"),
        }
    }
}
