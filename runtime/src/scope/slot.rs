//! A child's handle, [`ScopedTask`], and the slot where the child's result waits for it:
//! shared by the handle and the child (its task, its watcher, or its node in the set of
//! local children, which holds the slot in the same allocation).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Waker};

use tokio_util::sync::CancellationToken;

use super::failure::Failed;
use super::local_set::Shares;
use crate::loom::{self, Arc, AtomicBool, AtomicWaker, Ordering, StdMutex, StdMutexGuard};

/// The kinds of child with a slot of their own, by how a handle cancels them. (A local
/// child's slot is in its node, with a flag: `Cancel::flag`.)
#[derive(Clone, Copy)]
pub(super) enum Kind {
    /// `spawn`: the task's wrapper polls the child's future, and checks the flag.
    Polled,
    /// A watched task: `spawn_blocking`, `adopt`.
    Watched,
}

/// How a child's handle cancels it.
pub(super) enum Cancel {
    /// A local or `'static` child: a flag its wrapper checks at every poll, and the
    /// wrapper's waker. (The scope itself cancels local children by dropping them, and
    /// `'static` ones by aborting its `JoinSet`: they need no token.)
    Flag {
        cancelled: AtomicBool,
        waker: AtomicWaker,
    },
    /// A watched task: a token of its own, a child of the scope's.
    Token(CancellationToken),
}

impl Cancel {
    pub(super) fn flag() -> Self {
        Cancel::Flag {
            cancelled: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        }
    }
}

/// Where a child's result waits for its handle.
///
/// A `'static` or watched child's slot is an `Arc` of its own (std's, even under loom: the
/// handle holds it as `dyn Shares`, which loom's `Arc` cannot be coerced to).
pub(super) struct Slot<T, E> {
    cancel: Cancel,
    state: StdMutex<SlotState<T, E>>,
}

enum SlotState<T, E> {
    Running(Option<Waker>),
    /// Its value, or `Err(Error::Cancelled)`: not a failure.
    Done(Result<T, E>),
    /// A failure: its error, in the cell the scope's failure record may hold too.
    Failed(Arc<Failed<E>>),
    Taken,
}

impl<T, E> Slot<T, E> {
    pub(super) fn new(cancel: Cancel) -> Self {
        Slot {
            cancel,
            state: StdMutex::new(SlotState::Running(None)),
        }
    }

    /// A watched child's token (every watched slot has one).
    pub(super) fn token(&self) -> &CancellationToken {
        match &self.cancel {
            Cancel::Token(token) => token,
            Cancel::Flag { .. } => unreachable!("a watched child has its own token"),
        }
    }

    /// Cancels the child (from its handle).
    fn cancel(&self) {
        match &self.cancel {
            Cancel::Flag { cancelled, waker } => {
                cancelled.store(true, Ordering::Release);
                waker.wake();
            }
            Cancel::Token(token) => token.cancel(),
        }
    }

    /// Where the handle's `cancel` wakes a polled child's wrapper (which checked the flag
    /// before it polled the child: a `cancel` since then, which found no waker to wake,
    /// is seen here).
    pub(super) fn register(&self, waker: &Waker) {
        if let Cancel::Flag {
            cancelled,
            waker: cell,
        } = &self.cancel
        {
            loom::register(cell, waker);
            if cancelled.load(Ordering::Acquire) {
                waker.wake_by_ref();
            }
        }
    }

    /// Whether the child's handle cancelled it (as far as the slot knows).
    pub(super) fn is_cancelled(&self) -> bool {
        match &self.cancel {
            Cancel::Flag { cancelled, .. } => cancelled.load(Ordering::Acquire),
            Cancel::Token(token) => token.is_cancelled(),
        }
    }

    fn lock(&self) -> StdMutexGuard<'_, SlotState<T, E>> {
        loom::lock(&self.state)
    }

    /// Finishes with a value, or as cancelled.
    pub(super) fn finish(&self, result: Result<T, E>) {
        self.settle(SlotState::Done(result));
    }

    /// Finishes with a failure, whose error waits in `failed`.
    pub(super) fn fail(&self, failed: Arc<Failed<E>>) {
        self.settle(SlotState::Failed(failed));
    }

    fn settle(&self, done: SlotState<T, E>) {
        // Nothing to cancel any more: let go of the wrapper's waker (a local child's is
        // its node, which holds this slot: keeping it would keep the node).
        if let Cancel::Flag { waker, .. } = &self.cancel {
            drop(loom::take_waker(waker));
        }
        let previous = std::mem::replace(&mut *self.lock(), done);
        if let SlotState::Running(Some(waker)) = previous {
            waker.wake();
        }
    }

    /// The result, once the child is done; `cx` is woken when it is, if it is not yet.
    pub(super) fn poll_take(&self, cx: &mut Context<'_>) -> Poll<Result<T, E>> {
        let failed = {
            let mut state = self.lock();
            match std::mem::replace(&mut *state, SlotState::Taken) {
                SlotState::Done(result) => return Poll::Ready(result),
                SlotState::Failed(failed) => failed,
                SlotState::Running(_) => {
                    *state = SlotState::Running(Some(cx.waker().clone()));
                    return Poll::Pending;
                }
                SlotState::Taken => panic!("{TAKEN}"),
            }
        };
        // Outside the slot's lock: taking a panic's error delivers its report.
        Poll::Ready(Err(failed.take_by_handle().expect(TAKEN)))
    }

    fn is_finished(&self) -> bool {
        !matches!(*self.lock(), SlotState::Running(_))
    }
}

const TAKEN: &str = "`ScopedTask` polled after its result was taken";

impl<T: Send, E: Send> Shares<Slot<T, E>> for Slot<T, E> {
    fn shared(&self) -> &Slot<T, E> {
        self
    }
}

/// A child of a [`Scope`](super::Scope): await it for the child's own result.
///
/// This `struct` is created by [`Scope::spawn`](super::Scope::spawn),
/// [`Scope::spawn_named`](super::Scope::spawn_named),
/// [`Scope::spawn_local`](super::Scope::spawn_local),
/// [`Scope::spawn_blocking`](super::Scope::spawn_blocking) and
/// [`Scope::adopt`](super::Scope::adopt). Unlike a [`Task`](crate::Task), dropping it does
/// not cancel the child: the scope owns its children. Cancel-safe: dropping the awaiting
/// future leaves the result for another await. (Not `#[must_use]`: the child runs whether
/// or not its handle is awaited.)
pub struct ScopedTask<T, E> {
    /// The child's slot: on its own, or in a local child's node.
    slot: StdArc<dyn Shares<Slot<T, E>>>,
}

impl<T, E> ScopedTask<T, E> {
    pub(super) fn new(slot: StdArc<dyn Shares<Slot<T, E>>>) -> Self {
        ScopedTask { slot }
    }

    fn slot(&self) -> &Slot<T, E> {
        self.slot.shared()
    }

    /// Cancels this child: it is dropped at its next `.await` (a `'static` child's task is
    /// cancelled) and its handle resolves to `Err(Error::Cancelled)`. Not a failure of the
    /// scope.
    pub fn cancel(&self) {
        self.slot().cancel();
    }

    /// Whether the child has finished (its result is ready, or was taken).
    pub fn is_finished(&self) -> bool {
        self.slot().is_finished()
    }
}

impl<T, E> Unpin for ScopedTask<T, E> {}

impl<T, E> Future for ScopedTask<T, E> {
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.slot().poll_take(cx)
    }
}

impl<T, E> fmt::Debug for ScopedTask<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedTask")
            .field("finished", &self.is_finished())
            .field("cancelled", &self.slot().is_cancelled())
            .finish()
    }
}
