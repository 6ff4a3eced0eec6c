//! Racing futures: [`race`] and [`race_ok`] over any number of futures, the runtime half
//! of `race!` (its start, [`start`], and its timer), and the one rule by which all of them
//! pick among futures that are ready at the same poll (documented on [`race`]).
//!
//! # Design
//!
//! The rule is written once, in [`start`]: each poll of a race draws where it starts from
//! the thread's generator (`crate::util::rand`, the one `select!` draws from). `race!`
//! calls it from its expansion and then polls its branches round from there (straight-line
//! code, see `macros/src/join/expand.rs`); [`Race`] and [`RaceOk`] hand it to their
//! [`Set`]'s pass, which goes round from there over every future (up to 30) or over the
//! woken ones (above: a waker per future marks it in a bitset, so a pass can start
//! anywhere — a `FuturesUnordered`'s ready queue could only give wake-up order).
//!
//! ## Invariants
//!
//! 1. At each poll the start is uniform over the futures (`0` when `biased;`), and the
//!    futures are tried in input order from it, wrapping round; the first to be ready
//!    wins, and no future after it in that order is polled in that pass.
//! 2. The winner is the only future whose output is taken: the others are dropped before
//!    the race returns (a losing [`Task`](crate::Task) is cancelled), none of them polled
//!    again — so a losing `recv` takes no message.
//! 3. [`race_ok`] and `race!(ok: …)`: an `Err` only drops its own future; the race goes on
//!    until an `Ok` (which wins) or until every future has failed (the last `Err` is the
//!    output).

use std::fmt;
use std::future::{Future, IntoFuture};
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use super::set::Set;
use crate::time::{After, after};

/// Where a race of `n` futures starts polling at this poll: uniform in `0..n`, from the
/// thread's generator (`select::seed` replays it). The race rule, for `race!`, [`race`]
/// and [`race_ok`].
#[doc(hidden)]
#[inline]
pub fn start(n: usize) -> usize {
    if n <= 1 {
        0
    } else {
        crate::util::rand::below(n)
    }
}

/// `race!(timeout = d, …)`'s timer.
#[doc(hidden)]
pub fn timer(duration: Duration) -> After {
    after(duration)
}

/// Runs every future concurrently and returns the output of the first to finish; the
/// others are dropped (a [`Task`](crate::Task) among them is cancelled).
///
/// # Which of several ready futures wins
///
/// This is the rule of [`race`], [`race_ok`] and [`race!`](macro@crate::race). At each
/// poll, a race starts at a future chosen uniformly at random and tries the futures in
/// input order from there, wrapping round at the end; the first that is ready wins, and
/// the futures after it are not polled. So when several are ready at the same poll, the
/// winner is random — each of `n` futures that are all ready wins with probability
/// `1/n` — and a future that is always ready cannot starve the others. (Unlike `select!`'s
/// full shuffle, the start rotates: when only some are ready, one that follows a run of
/// pending ones is reached first more often.)
///
/// - **Reproducible**: the start is drawn from the current thread's generator, the one
///   `select!` draws from; [`select::seed`](crate::select::seed) makes every later choice
///   on that thread repeat.
/// - **`biased;`**: `race!(biased; a, b, c)` starts at the first branch at every poll, so
///   the first ready branch in order wins. (The functions have no biased form: put the
///   futures in a `race!` for that.)
/// - **Large races**: above 30 futures only those woken since their last poll are tried
///   (a waker per future), from the same random start, in the same order.
///
/// # Panics
///
/// If `futures` is empty: there would be nothing to wait for, ever.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
///
/// async fn reply(after_ms: u64, from: &str) -> &str {
///     tokio::time::sleep(Duration::from_millis(after_ms)).await;
///     from
/// }
///
/// let first = goscope::race([reply(30, "eu"), reply(10, "us"), reply(20, "ap")]).await;
/// assert_eq!(first, "us");
/// # }
/// ```
#[track_caller]
pub fn race<I>(futures: I) -> Race<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let set = Set::new(futures.into_iter().map(IntoFuture::into_future));
    assert!(
        set.len() > 0,
        "`goscope::race` of no futures would never finish; pass at least one"
    );
    Race { set }
}

/// The future of a race: the output of the first future to finish.
///
/// This `struct` is created by [`race`]. See its documentation for more. Cancel-safe if
/// its futures are: until it completes no future has finished, so dropping it drops every
/// future and loses no output.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Race<F: Future> {
    set: Set<F>,
}

impl<F: Future> Future for Race<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let start = start(this.set.len());
        let flow = ready!(this.set.poll(cx, start, "Race", |slot, cx| {
            slot.poll_output(cx).map(ControlFlow::Break)
        }));
        match flow {
            ControlFlow::Break(output) => {
                this.set.drop_all();
                Poll::Ready(output)
            }
            ControlFlow::Continue(()) => unreachable!("the first future to finish ends a race"),
        }
    }
}

impl<F: Future> fmt::Debug for Race<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Race").field("set", &self.set).finish()
    }
}

/// Runs every future concurrently and returns the first `Ok`; the others are dropped. If
/// every future fails, returns the `Err` of the last one to fail.
///
/// Among futures ready at the same poll, the winner is picked by [`race`]'s rule.
///
/// # Panics
///
/// If `futures` is empty: there would be neither a value nor an error to return.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// async fn lookup(source: &str, key: u32) -> Result<String, String> {
///     match source {
///         "db" => Ok(format!("{key} from db")),
///         other => Err(format!("{other}: miss")),
///     }
/// }
///
/// let hit = goscope::race_ok([lookup("cache", 7), lookup("db", 7)]).await;
/// assert_eq!(hit.unwrap(), "7 from db");
/// let miss = goscope::race_ok([lookup("cache", 7), lookup("mirror", 7)]).await;
/// assert!(miss.is_err());
/// # }
/// ```
#[track_caller]
pub fn race_ok<I, T, E>(futures: I) -> RaceOk<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture<Output = Result<T, E>>,
{
    let set = Set::new(futures.into_iter().map(IntoFuture::into_future));
    assert!(
        set.len() > 0,
        "`goscope::race_ok` of no futures has no value and no error to return; pass at least one"
    );
    RaceOk { set, last: None }
}

/// The future of a race for the first `Ok`: that `Ok`, or the last `Err` if every future
/// fails.
///
/// This `struct` is created by [`race_ok`]. See its documentation for more. Dropping it
/// drops every future and the last `Err` so far; no `Ok` is lost, none has finished.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct RaceOk<F: Future> {
    set: Set<F>,
    /// The last failure so far (an `Err`).
    last: Option<F::Output>,
}

// The last failure is never pinned: only the set's futures are, in their own box.
impl<F: Future> Unpin for RaceOk<F> {}

impl<F, T, E> Future for RaceOk<F>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let start = start(this.set.len());
        let last = &mut this.last;
        let flow = ready!(this.set.poll(cx, start, "RaceOk", |slot, cx| {
            slot.poll_output(cx).map(|output| match output {
                Ok(value) => ControlFlow::Break(value),
                Err(error) => {
                    *last = Some(Err(error));
                    ControlFlow::Continue(())
                }
            })
        }));
        this.set.drop_all();
        Poll::Ready(match flow {
            ControlFlow::Break(value) => Ok(value),
            ControlFlow::Continue(()) => this
                .last
                .take()
                .expect("a race that ended without an `Ok` kept its last `Err`"),
        })
    }
}

impl<F: Future> fmt::Debug for RaceOk<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RaceOk")
            .field("set", &self.set)
            .field("failed", &self.last.is_some())
            .finish()
    }
}
