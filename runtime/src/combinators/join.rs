//! Joining and racing futures: the runtime half of `all!` and `race!`, and the functions
//! over any number of futures — [`all`], [`try_all`], [`race`], [`race_ok`], [`settle`].
//!
//! # Design
//!
//! `all!` and `race!` expand to a `poll_fn` over their branches, pinned on the stack of
//! the calling task: no allocation, and a branch may borrow anything the caller can. Every
//! poll polls every unfinished branch, as `tokio::join!` and `tokio::select!` do; `all!`
//! starts one branch later at each poll (so no branch always goes first and eats the
//! task's cooperative budget), `race!` at a random branch (so which of several ready
//! branches wins is fair), unless `biased;`.
//!
//! The functions take a dynamic number of futures, so they cannot re-poll every future at
//! each wake-up: with 10,000 futures that is 10,000 polls for one ready future. They keep
//! the futures in a `FuturesUnordered`, whose per-future wakers queue only the future that
//! was woken, and tag each with its index so that outputs come back in input order. Up to
//! 30 futures, `all` and `try_all` poll them all at each wake-up instead, from one
//! allocation (`futures_util`'s `join_all`): cheaper than a waker per future.
//!
//! ## Invariants
//!
//! 1. A branch (or a future of a set) that has finished is never polled again; its output
//!    waits in its slot until the whole join is done.
//! 2. `all!`'s `?` branch: its `Err` ends the join at once; every branch, finished or not,
//!    is dropped before the `?` returns from the enclosing function (the branches are
//!    locals of the expansion's block).
//! 3. `race!`: the first branch to finish wins; the others are dropped before `race!`
//!    evaluates to the winner's output. A `Task` branch is thereby cancelled.
//! 4. Nothing here catches a panic except [`settle`]: a panicking branch unwinds through
//!    the join, which drops the other branches on the way.

use std::future::{Future, IntoFuture};
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use pin_project_lite::pin_project;

use crate::error::Error;
use crate::panic::catch::CatchUnwind;
use crate::time::{After, after};

pin_project! {
    /// A future tagged with its place in the input, for the sets.
    struct Indexed<F> {
        #[pin]
        fut: F,
        index: usize,
    }
}

impl<F: Future> Future for Indexed<F> {
    type Output = (usize, F::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let output = ready!(this.fut.poll(cx));
        Poll::Ready((*this.index, output))
    }
}

/// Up to this many futures, [`all`] and [`try_all`] poll every one at each wake-up (from
/// one allocation: `futures_util`'s `join_all` and `try_join_all`, whose own threshold
/// this is) rather than keep a set with a waker per future.
const SMALL: usize = 30;

/// The futures of `futures`, tagged with their indices, in a set that polls only the woken.
fn indexed<I>(futures: I) -> FuturesUnordered<Indexed<<I::Item as IntoFuture>::IntoFuture>>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    futures
        .into_iter()
        .enumerate()
        .map(|(index, fut)| Indexed {
            fut: fut.into_future(),
            index,
        })
        .collect()
}

/// Outputs in input order, once every slot is filled.
fn in_order<T>(slots: Vec<Option<T>>) -> Vec<T> {
    slots
        .into_iter()
        .map(|slot| slot.expect("every future of the set has finished"))
        .collect()
}

/// Runs every future concurrently, in the calling task, and returns their outputs in
/// input order: `all!` for a number of futures known only at run time.
///
/// A future that is woken is polled again; the others are not (the set keeps a waker per
/// future), so joining 10,000 futures costs a poll per wake-up, not 10,000.
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
pub async fn all<I>(futures: I) -> Vec<<I::Item as IntoFuture>::Output>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let futures = futures.into_iter().map(IntoFuture::into_future);
    if futures.size_hint().1.is_some_and(|most| most <= SMALL) {
        // One allocation, every future polled at each wake-up: cheaper than a set's
        // per-future wakers while the set is this small.
        return futures_util::future::join_all(futures).await;
    }
    let futures: Vec<_> = futures.collect();
    if futures.len() <= SMALL {
        return futures_util::future::join_all(futures).await;
    }
    let mut set = indexed(futures);
    let mut slots: Vec<Option<_>> = std::iter::repeat_with(|| None).take(set.len()).collect();
    while let Some((index, output)) = set.next().await {
        slots[index] = Some(output);
    }
    in_order(slots)
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
pub async fn try_all<I, T, E>(futures: I) -> Result<Vec<T>, E>
where
    I: IntoIterator,
    I::Item: IntoFuture<Output = Result<T, E>>,
{
    let futures = futures.into_iter().map(IntoFuture::into_future);
    if futures.size_hint().1.is_some_and(|most| most <= SMALL) {
        return futures_util::future::try_join_all(futures).await;
    }
    let futures: Vec<_> = futures.collect();
    if futures.len() <= SMALL {
        return futures_util::future::try_join_all(futures).await;
    }
    let mut set = indexed(futures);
    let mut slots: Vec<Option<T>> = std::iter::repeat_with(|| None).take(set.len()).collect();
    while let Some((index, output)) = set.next().await {
        slots[index] = Some(output?);
    }
    Ok(in_order(slots))
}

/// Runs every future concurrently and returns the output of the first to finish; the
/// others are dropped (a [`Task`](crate::Task) among them is cancelled).
///
/// When several are ready at the first poll, the earliest in the input wins.
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
pub fn race<I>(futures: I) -> impl Future<Output = <I::Item as IntoFuture>::Output>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let mut set = indexed(futures);
    assert!(
        !set.is_empty(),
        "`goscope::race` of no futures would never finish; pass at least one"
    );
    async move {
        let (_, output) = set.next().await.expect("the set is not empty");
        output
    }
}

/// Runs every future concurrently and returns the first `Ok`; the others are dropped. If
/// every future fails, returns the `Err` of the last one to fail.
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
pub fn race_ok<I, T, E>(futures: I) -> impl Future<Output = Result<T, E>>
where
    I: IntoIterator,
    I::Item: IntoFuture<Output = Result<T, E>>,
{
    let mut set = indexed(futures);
    assert!(
        !set.is_empty(),
        "`goscope::race_ok` of no futures has no value and no error to return; pass at least one"
    );
    async move {
        let mut last = None;
        while let Some((_, output)) = set.next().await {
            match output {
                Ok(value) => return Ok(value),
                Err(error) => last = Some(error),
            }
        }
        Err(last.expect("a non-empty set that produced no Ok produced an Err"))
    }
}

pin_project! {
    /// A future of `settle` (and of the helpers that keep a slot per item): its panic is
    /// captured ([`CatchUnwind`]), reported to the hook, and is the output.
    pub(crate) struct Settled<F> {
        #[pin]
        fut: CatchUnwind<F, &'static Location<'static>>,
        // Whether its output goes straight to the user (`settle`): a panic is then
        // delivered (`panic::Unreceived`); otherwise whoever takes the output delivers it.
        delivers: bool,
    }
}

impl<F> Settled<F> {
    /// `fut`, with its panics captured as spawned at `at`.
    pub(crate) fn new(fut: F, at: &'static Location<'static>) -> Self {
        Settled {
            fut: CatchUnwind::new(fut, at),
            delivers: false,
        }
    }

    /// The future, back (never polled: nothing is pinned yet).
    pub(crate) fn into_inner(self) -> F {
        self.fut.into_inner()
    }
}

impl<F: Future> Future for Settled<F> {
    type Output = Result<F::Output, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let delivers = *this.delivers;
        this.fut
            .poll(cx)
            .map_err(|panic| Error::Panicked(if delivers { panic.received() } else { panic }))
    }
}

/// Runs every future concurrently until each has finished, and returns every outcome in
/// input order: never fails fast. A future that panics gives `Err(Error::Panicked(_))` in
/// its slot (the panic also goes to the panic hook) and the others run on.
///
/// The output of a [`Task`](crate::Task) is itself a `Result<T, goscope::Error>`; its slot
/// is then `Ok(Err(Error::Cancelled))` if the task was cancelled, and so on.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goscope::Error;
///
/// let jobs = (0..3).map(|i| async move {
///     if i == 1 {
///         panic!("job {i} broke");
///     }
///     i * 10
/// });
/// let outcomes = goscope::settle(jobs).await;
/// assert_eq!(outcomes[0].as_ref().ok(), Some(&0));
/// assert!(matches!(&outcomes[1], Err(Error::Panicked(p)) if p.message() == Some("job 1 broke")));
/// assert_eq!(outcomes[2].as_ref().ok(), Some(&20));
/// # }
/// ```
#[track_caller]
pub fn settle<I>(
    futures: I,
) -> impl Future<Output = Vec<Result<<I::Item as IntoFuture>::Output, Error>>>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    // The hook that records where a panic happened, for `PanicError::location`.
    crate::panic::install_process_hook();
    let at = Location::caller();
    all(futures.into_iter().map(move |fut| Settled {
        fut: CatchUnwind::new(fut.into_future(), at),
        delivers: true,
    }))
}

pin_project! {
    /// A branch of `all!`: running, then holding its output until the join is done.
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

/// Where `race!` starts polling: a uniform random branch of `n`.
#[doc(hidden)]
#[inline]
pub fn start(n: usize) -> usize {
    crate::util::rand::below(n)
}

/// `race!(timeout = d, …)`'s timer.
#[doc(hidden)]
pub fn timer(duration: Duration) -> After {
    after(duration)
}
