//! The synchronization primitives of the channel and select cores: std's atomics and
//! parking_lot's adaptive mutex (it spins before it sleeps, which halves the cost of a
//! contended channel), or loom's under `--cfg goscope_loom` so that the loom models
//! explore every interleaving of them.

#[cfg(not(goscope_loom))]
pub(crate) use futures_util::task::AtomicWaker;
#[cfg(goscope_loom)]
pub(crate) use loom::future::AtomicWaker;
#[cfg(goscope_loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
#[cfg(goscope_loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};
#[cfg(not(goscope_loom))]
pub(crate) use parking_lot::{Mutex, MutexGuard};
#[cfg(not(goscope_loom))]
pub(crate) use std::sync::Arc;
#[cfg(not(goscope_loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

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

    /// Runs `f` with a pointer to the contents; the caller keeps the aliasing rules.
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
