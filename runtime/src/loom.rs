//! The synchronization primitives of the concurrent cores (channel, select, generator,
//! scope, the scope's set of local children): std's atomics, parking_lot's adaptive mutex
//! (it spins before it sleeps, which halves the cost of a contended channel) and std's
//! poisoning mutex, or loom's under `--cfg goscope_loom` so that the loom models explore
//! every interleaving of them.
//!
//! What stays std's even under loom, and why: an `Arc` that is coerced to a trait object
//! (loom's `Arc` cannot be: it has no `CoerceUnsized`), such as the nodes of the scope's
//! set of local children and the result slots its handles hold as `dyn`; and what a
//! dependency's API fixes (the `Arc<Semaphore>` of tokio's owned permits, the
//! `Arc<CancellationToken>` of the scope's task-local). The models say what that leaves
//! out.

#[cfg(not(goscope_loom))]
pub(crate) use futures_util::task::AtomicWaker;
#[cfg(goscope_loom)]
pub(crate) use loom::future::AtomicWaker;
#[cfg(goscope_loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering, fence};
#[cfg(goscope_loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};
#[cfg(not(goscope_loom))]
pub(crate) use parking_lot::{Mutex, MutexGuard};
#[cfg(not(goscope_loom))]
pub(crate) use std::sync::Arc;
#[cfg(not(goscope_loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering, fence};

// std's mutex, which poisons and so keeps what holds it `UnwindSafe` (the scope's handle
// is, and its tests check it), or loom's (the same API). Lock it with `lock`.
#[cfg(goscope_loom)]
pub(crate) use loom::sync::{Mutex as StdMutex, MutexGuard as StdMutexGuard};
#[cfg(not(goscope_loom))]
pub(crate) use std::sync::{Mutex as StdMutex, MutexGuard as StdMutexGuard};

/// Locks a [`StdMutex`] whether or not it is poisoned: for locks under which no user code
/// runs, so that a poisoned one still holds consistent state.
pub(crate) fn lock<T: ?Sized>(mutex: &StdMutex<T>) -> StdMutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Registers `waker` in `cell` (futures' `AtomicWaker` takes it by reference, loom's has
/// `register_by_ref` for that).
#[inline]
pub(crate) fn register(cell: &AtomicWaker, waker: &std::task::Waker) {
    #[cfg(goscope_loom)]
    cell.register_by_ref(waker);
    #[cfg(not(goscope_loom))]
    cell.register(waker);
}

/// Takes the waker out of `cell`, if one is registered.
#[inline]
pub(crate) fn take_waker(cell: &AtomicWaker) -> Option<std::task::Waker> {
    #[cfg(goscope_loom)]
    return cell.take_waker();
    #[cfg(not(goscope_loom))]
    return cell.take();
}

/// Tells loom's scheduler that this thread waits for another to make progress; nothing
/// outside the models (a select that defers returns `Pending` after waking itself).
pub(crate) fn yield_now() {
    #[cfg(goscope_loom)]
    loom::thread::yield_now();
}

/// A cell for data handed between two owners by an atomic flag (the generator's slot):
/// std's, or loom's under `--cfg goscope_loom`, which checks every access for races.
#[cfg(goscope_loom)]
pub(crate) use loom::cell::UnsafeCell;

/// std's `UnsafeCell` with loom's access API.
#[cfg(not(goscope_loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(goscope_loom))]
impl<T> UnsafeCell<T> {
    pub(crate) fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Runs `f` with a shared pointer to the contents; the caller keeps the aliasing
    /// rules (no writer at the same time).
    #[cfg_attr(not(test), allow(dead_code))] // chan/ring.rs and chan/list.rs read with it
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with a pointer to the contents; the caller keeps the aliasing rules.
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
