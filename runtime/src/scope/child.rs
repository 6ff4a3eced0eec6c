//! A child as the scope runs it: a `'static` child's task ([`Static`]), a local child in
//! the set ([`Local`]), how a child ended ([`Outcome`]) and where that goes ([`settle`]:
//! its slot, and a failure to the scope's record — the one path for every kind of child).

use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll};

use super::CURRENT;
use super::failure::{Failed, Failure, Failures};
use super::handle::Scope;
use super::local_set;
use super::slot::Slot;
use crate::error::Error;
use crate::loom::Arc;
use crate::panic::{Unreceived, catch};

/// How a child ended.
pub(super) enum Outcome<T, E> {
    Ok(T),
    /// Its own `Err`, or its panic: a failure of the scope. A panic's report is owed
    /// until its error is delivered (`panic::Unreceived`); it is kept beside the error.
    Failed(E, Unreceived),
    /// Cancelled (by its handle, or by the scope): not a failure.
    Cancelled,
}

impl<T, E: From<Error>> Outcome<T, E> {
    /// A watched task's own error: cancelled (through its handle) is not a failure.
    pub(super) fn from_task_error(error: Error) -> Self {
        match error {
            Error::Cancelled => Outcome::Cancelled,
            Error::Panicked(mut panic) => {
                let unreceived = panic.take_unreceived();
                Outcome::Failed(Error::Panicked(panic).into(), unreceived)
            }
            error => Outcome::Failed(error.into(), Unreceived::NONE),
        }
    }
}

/// Stores a child's outcome in its slot; a failure goes to the scope's record, after the
/// slot has it, so that whoever sees the scope cancelled finds the error in the slot.
/// Every child — local, `'static`, watched — settles here. Returns whether the child's
/// failure is the scope's primary.
pub(super) fn settle<T, E: From<Error>>(
    slot: &Slot<T, E>,
    outcome: Outcome<T, E>,
    failures: &Failures<E>,
) -> bool {
    match outcome {
        Outcome::Ok(value) => slot.finish(Ok(value)),
        Outcome::Cancelled => slot.finish(Err(Error::Cancelled.into())),
        Outcome::Failed(error, unreceived) => {
            let failed = Failed::new(error, unreceived);
            slot.fail(Arc::clone(&failed));
            return failures.record(Failure::Child(failed));
        }
    }
    false
}

/// Polls a child, its panic captured (and reported to the hook) as a failure.
fn poll_caught<T, E: From<Error>, F: Future<Output = Result<T, E>>>(
    fut: Pin<&mut F>,
    cx: &mut Context<'_>,
    at: &'static Location<'static>,
    name: Option<&'static str>,
) -> Poll<Outcome<T, E>> {
    Poll::Ready(match std::task::ready!(catch::poll(fut, cx, &(name, at))) {
        Ok(Ok(value)) => Outcome::Ok(value),
        Ok(Err(error)) => Outcome::Failed(error, Unreceived::NONE),
        Err(mut panic) => {
            let unreceived = panic.take_unreceived();
            Outcome::Failed(Error::Panicked(panic).into(), unreceived)
        }
    })
}

/// A `limit` slot, once taken.
pub(super) type Permit = Option<tokio::sync::OwnedSemaphorePermit>;

/// Whether a child may run yet (`limit = n`).
pub(super) enum Admission {
    /// Admitted with no limit, or finished.
    Free,
    /// Waiting for a `limit` slot.
    Waiting(Pin<Box<dyn Future<Output = Permit> + Send>>),
    /// Running, holding its slot.
    Admitted { _permit: Permit },
}

impl Admission {
    /// Ready once the child may run.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Admission::Waiting(wait) = self {
            let permit = std::task::ready!(wait.as_mut().poll(cx));
            *self = Admission::Admitted { _permit: permit };
        }
        Poll::Ready(())
    }
}

pin_project_lite::pin_project! {
    /// A `spawn` child, as the task the scope's `JoinSet` runs: the child's future, its
    /// handle's slot, its admission, and the scope's failure record (whose token is the
    /// task-local `CURRENT` while it is polled, so that scopes nested in it find their
    /// parent). If the task is aborted unfinished — even before its first poll — its drop
    /// settles the slot as cancelled; a child cancelled before it started never starts.
    /// Its handle cancels it by the slot's flag, checked at every poll (the task ends).
    pub(super) struct Static<F, T, E>
    where
        E: From<Error>,
    {
        #[pin]
        fut: F,
        // `None` once settled.
        slot: Option<StdArc<Slot<T, E>>>,
        failures: Arc<Failures<E>>,
        admission: Admission,
        started: bool,
        at: &'static Location<'static>,
        name: Option<&'static str>,
    }

    impl<F, T, E> PinnedDrop for Static<F, T, E>
    where
        E: From<Error>,
    {
        fn drop(this: Pin<&mut Self>) {
            if let Some(slot) = this.project().slot.take() {
                slot.finish(Err(Error::Cancelled.into()));
            }
        }
    }
}

impl<F, T, E: From<Error>> Static<F, T, E> {
    pub(super) fn new(
        fut: F,
        slot: StdArc<Slot<T, E>>,
        failures: Arc<Failures<E>>,
        admission: Admission,
        at: &'static Location<'static>,
        name: Option<&'static str>,
    ) -> Self {
        Static {
            fut,
            slot: Some(slot),
            failures,
            admission,
            started: false,
            at,
            name,
        }
    }
}

impl<F, T, E> Future for Static<F, T, E>
where
    F: Future<Output = Result<T, E>>,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let Some(slot) = this.slot.as_ref() else {
            return Poll::Ready(());
        };
        // Cancelled by its handle (perhaps before it started): the task ends, and the
        // drop settles the slot as cancelled.
        if slot.is_cancelled() {
            return Poll::Ready(());
        }
        let outcome = if this.admission.poll(cx).is_pending() {
            Poll::Pending
        } else if !*this.started && this.failures.token.is_cancelled() {
            // The scope was cancelled before it started (perhaps while it waited for a
            // slot): it never starts; the drop settles it as cancelled.
            return Poll::Ready(());
        } else {
            *this.started = true;
            let (fut, at, name) = (this.fut, *this.at, *this.name);
            CURRENT.sync_scope(StdArc::clone(&this.failures.token), || {
                poll_caught(fut, cx, at, name)
            })
        };
        match outcome {
            Poll::Ready(outcome) => {
                *this.admission = Admission::Free;
                if let Some(slot) = this.slot.take() {
                    settle(&slot, outcome, this.failures);
                }
                Poll::Ready(())
            }
            Poll::Pending => {
                slot.register(cx.waker());
                Poll::Pending
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// A `spawn_local` child, as its node in the scope's set holds it: the child's future,
    /// its admission, and the scope. The handle's slot is beside it in the node. The scope
    /// cancels local children by dropping them (`abandon` settles the slot as cancelled);
    /// the handle, by a flag this checks at every poll.
    pub(super) struct Local<'env, F, T, E> {
        #[pin]
        fut: F,
        scope: Scope<'env, E>,
        admission: Admission,
        at: &'static Location<'static>,
        span: Option<tracing::Span>,
        _result: PhantomData<fn() -> T>,
    }
}

impl<'env, F, T, E> Local<'env, F, T, E> {
    pub(super) fn new(
        fut: F,
        scope: Scope<'env, E>,
        admission: Admission,
        at: &'static Location<'static>,
        span: Option<tracing::Span>,
    ) -> Self {
        Local {
            fut,
            scope,
            admission,
            at,
            span,
            _result: PhantomData,
        }
    }
}

impl<'env, F, T, E> local_set::Child<'env> for Local<'env, F, T, E>
where
    F: Future<Output = Result<T, E>> + Send + 'env,
    T: Send + 'env,
    E: From<Error> + Send + 'env,
{
    type Shared = Slot<T, E>;

    fn poll(
        self: Pin<&mut Self>,
        node: &StdArc<local_set::Node<'env, Self>>,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let this = self.project();
        let _entered = this.span.as_ref().map(tracing::Span::enter);
        let slot = local_set::Shares::shared(&**node);
        let outcome = if this.scope.is_cancelled() || slot.is_cancelled() {
            // Cancelled: the set drops this child once it is ready.
            Poll::Ready(Outcome::Cancelled)
        } else if this.admission.poll(cx).is_pending() {
            Poll::Pending
        } else {
            poll_caught(this.fut, cx, this.at, None)
        };
        match outcome {
            Poll::Ready(outcome) => {
                *this.admission = Admission::Free;
                settle(slot, outcome, this.scope.failures());
                Poll::Ready(())
            }
            Poll::Pending => {
                slot.register(cx.waker());
                Poll::Pending
            }
        }
    }

    fn abandon(slot: &Slot<T, E>) {
        slot.finish(Err(Error::Cancelled.into()));
    }
}
