//! Joining futures without failing fast: [`settle`], and [`Settled`] — a future whose
//! panic is its output, which `settle`, the fan-outs, [`Pool`](crate::Pool) and
//! [`retry`](crate::retry) put around user code.
//!
//! Every panic capture goes through `crate::panic::catch` ([`CatchUnwind`]): `Settled`
//! only turns the captured panic into an [`Error::Panicked`], delivered or not.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::join::{All, all};
use crate::error::Error;
use crate::panic::catch::CatchUnwind;

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
pub fn settle<I>(futures: I) -> Settle<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    // The hook that records where a panic happened, for `PanicError::location`.
    crate::panic::install_process_hook();
    let at = Location::caller();
    Settle {
        all: all(futures.into_iter().map(move |fut| Settled {
            fut: CatchUnwind::new(fut.into_future(), at),
            delivers: true,
        })),
    }
}

/// The future of a join that never fails fast: every outcome, in input order, a panic
/// among them as `Err(Error::Panicked(_))`.
///
/// This `struct` is created by [`settle`]. See its documentation for more. Not
/// cancel-safe: dropping it drops every future, and the outcomes of those that had
/// finished.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Settle<F: Future> {
    all: All<Settled<F>>,
}

impl<F: Future> Future for Settle<F> {
    type Output = Vec<Result<F::Output, Error>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.all).poll(cx)
    }
}

impl<F: Future> fmt::Debug for Settle<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settle")
            .field("set", self.all.set())
            .finish()
    }
}
