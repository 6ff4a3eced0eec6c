//! [`Backoff`]: how a lock-free loop waits for another thread to finish a step it has
//! started (a CAS lost to a rival, a slot whose writer is between two stores).
//!
//! After crossbeam-utils' `Backoff`: [`spin`](Backoff::spin) after a lost CAS, doubling
//! the spin each step up to 2⁶ `spin_loop` hints (the rival is running, the line is
//! just hot); [`snooze`](Backoff::snooze) while waiting for another thread's store,
//! spinning the same way and then yielding the thread (the other thread may have been
//! preempted and needs this core). Under `--cfg goscope_loom` both only yield to loom's
//! scheduler, which is what loom asks of every spin loop.

use std::cell::Cell;

/// Steps up to which [`Backoff::spin`] and [`Backoff::snooze`] spin (2^step hints).
const SPIN_LIMIT: u32 = 6;
/// Steps after which [`Backoff::is_completed`] tells the caller to park instead.
const YIELD_LIMIT: u32 = 10;

/// Exponential backoff for one waiting loop; make a new one per loop.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    step: Cell<u32>,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff::default()
    }

    /// Backs off after losing a race for a shared word: spins, never yields.
    pub(crate) fn spin(&self) {
        #[cfg(goscope_loom)]
        loom::thread::yield_now();
        #[cfg(not(goscope_loom))]
        for _ in 0..1u32 << self.step.get().min(SPIN_LIMIT) {
            std::hint::spin_loop();
        }
        if self.step.get() <= SPIN_LIMIT {
            self.step.set(self.step.get() + 1);
        }
    }

    /// Waits for another thread to finish a step: spins, then yields the thread.
    pub(crate) fn snooze(&self) {
        #[cfg(goscope_loom)]
        loom::thread::yield_now();
        #[cfg(not(goscope_loom))]
        if self.step.get() <= SPIN_LIMIT {
            for _ in 0..1u32 << self.step.get() {
                std::hint::spin_loop();
            }
        } else {
            std::thread::yield_now();
        }
        if self.step.get() <= YIELD_LIMIT {
            self.step.set(self.step.get() + 1);
        }
    }

    /// Whether backing off has gone on long enough that the caller should park.
    #[cfg_attr(any(not(test), goscope_loom), allow(dead_code))] // engine v2 parks on it
    pub(crate) fn is_completed(&self) -> bool {
        self.step.get() > YIELD_LIMIT
    }
}

#[cfg(all(test, not(goscope_loom)))]
mod tests {
    use super::Backoff;

    #[test]
    fn snoozing_completes_after_the_yield_limit() {
        let backoff = Backoff::new();
        for _ in 0..=super::YIELD_LIMIT {
            assert!(!backoff.is_completed());
            backoff.snooze();
        }
        assert!(backoff.is_completed());
        backoff.spin(); // spinning never counts past the spin limit
        assert!(backoff.is_completed());
    }
}
