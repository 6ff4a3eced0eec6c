//! Catching a panic where it happens: the one place goscope calls `catch_unwind` on user
//! code and turns the payload into a [`PanicError`] ([`capture`](super::capture)).
//!
//! Every site that runs user code a panic must not escape from — a task's poll, a
//! blocking closure, a scope child, a `settle` slot, a pool job, a retried call, a
//! manager phase — goes through [`call`], [`poll`] or the [`CatchUnwind`] future over
//! them. What differs between the sites is only where the panic is said to come from:
//! an [`Origin`] (a task's name and spawn location, kept as each site stores them, so a
//! task keeps its thin name pointer).
//!
//! `AssertUnwindSafe` is sound here for the reason it is in `std::thread::spawn`: after a
//! panic the caught code is never run again (a future that panicked is not polled again
//! — every caller turns the panic into its final output), so no broken invariant of its
//! state can be observed through it.

use std::borrow::Cow;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::PanicError;

/// Where a captured panic is said to come from: the task (or child, or service) it
/// happened in, and where that was started.
pub(crate) trait Origin {
    /// The task's name, if it has one.
    fn name(&self) -> Option<Cow<'static, str>>;
    /// Where the task was started.
    fn spawned_at(&self) -> &'static Location<'static>;
}

/// An unnamed origin: only where it was started.
impl Origin for &'static Location<'static> {
    fn name(&self) -> Option<Cow<'static, str>> {
        None
    }

    fn spawned_at(&self) -> &'static Location<'static> {
        self
    }
}

/// A child named (or not) by a `'static` string.
impl Origin for (Option<&'static str>, &'static Location<'static>) {
    fn name(&self) -> Option<Cow<'static, str>> {
        self.0.map(Cow::Borrowed)
    }

    fn spawned_at(&self) -> &'static Location<'static> {
        self.1
    }
}

/// A service's name, borrowed from the manager's entry.
impl Origin for (&Cow<'static, str>, &'static Location<'static>) {
    fn name(&self) -> Option<Cow<'static, str>> {
        Some(self.0.clone())
    }

    fn spawned_at(&self) -> &'static Location<'static> {
        self.1
    }
}

/// Calls `f`; a panic in it is captured as `origin`'s (shown to the panic hook at once).
pub(crate) fn call<R>(origin: &impl Origin, f: impl FnOnce() -> R) -> Result<R, PanicError> {
    std::panic::catch_unwind(AssertUnwindSafe(f))
        .map_err(|payload| super::capture(payload, origin.name(), origin.spawned_at()))
}

/// Polls `fut` once; a panic in the poll is captured as `origin`'s and is the output.
/// The caller must not poll `fut` again after a panic.
pub(crate) fn poll<F: Future + ?Sized>(
    fut: Pin<&mut F>,
    cx: &mut Context<'_>,
    origin: &impl Origin,
) -> Poll<Result<F::Output, PanicError>> {
    match call(origin, || fut.poll(cx)) {
        Ok(Poll::Pending) => Poll::Pending,
        Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
        Err(panic) => Poll::Ready(Err(panic)),
    }
}

pin_project_lite::pin_project! {
    /// `fut` with each poll under [`poll`]: its output, or its panic as a `PanicError`.
    /// Like every future, it is not polled again once it returned `Ready`.
    pub(crate) struct CatchUnwind<F, O> {
        #[pin]
        fut: F,
        origin: O,
    }
}

impl<F, O> CatchUnwind<F, O> {
    /// `fut`, its panics captured as `origin`'s.
    pub(crate) fn new(fut: F, origin: O) -> Self {
        CatchUnwind { fut, origin }
    }

    /// The future, back (meant for one never polled).
    pub(crate) fn into_inner(self) -> F {
        self.fut
    }
}

impl<F: Future, O: Origin> Future for CatchUnwind<F, O> {
    type Output = Result<F::Output, PanicError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        poll(this.fut, cx, &*this.origin)
    }
}
