//! The one atomic state a select invocation shares with the channels it is parked on.

use std::fmt;

use crate::loom::{Arc, AtomicBool, AtomicUsize, AtomicWaker, Ordering};

/// Nobody may complete into the select: it is trying its cases itself.
const POLLING: usize = 0;
/// POLLING, and a counterpart found one of its entries meanwhile: poll again before parking.
const DIRTY: usize = 1;
/// Parked: the first counterpart to CAS `WAITING → SELECTED(k)` completes case `k`.
const WAITING: usize = 2;
/// The select future was dropped; its entries are stale.
const ABORTED: usize = 3;
/// `SELECTED + k`: case `k` won.
const SELECTED: usize = 4;

/// A counterpart's attempt to complete a parked select's case.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The CAS won: the counterpart completes this case now.
    Won,
    /// The select is polling: it will poll again; skip its entry, leave it queued.
    Busy,
    /// The select has completed another case or was dropped: the entry is stale.
    Stale,
}

/// What the select itself finds when it starts a pass.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Begin {
    /// It is polling now: nothing can complete into it until it parks again.
    Polling,
    /// A counterpart completed case `k` while it was parked.
    Selected(usize),
}

/// One select invocation's state, shared (`Arc`) with its entries in channel queues.
pub struct SelectShared {
    state: AtomicUsize,
    waker: AtomicWaker,
    /// Set during this select's own pass when it passed by a polling select with a
    /// lower `id` without marking it: it must not park, but poll again once that one has.
    deferred: AtomicBool,
    /// A total order among selects, to break ties (see [`SelectShared::claim`]).
    id: u64,
}

/// Source of `SelectShared::id` (std's atomic even under loom: it is not part of the
/// protocol, only an order).
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl SelectShared {
    /// A select that starts polling.
    pub(crate) fn new() -> Self {
        SelectShared {
            state: AtomicUsize::new(POLLING),
            waker: AtomicWaker::new(),
            deferred: AtomicBool::new(false),
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Counterpart side, under the lock of the channel holding the entry of case `case`.
    /// `by` is the select making the attempt, if it is one.
    ///
    /// A polling select is told to poll again (`DIRTY`) so that it sees the counterpart
    /// that passed it by — except by a polling select with a higher `id`: two selects
    /// marking each other could poll in lockstep forever. The higher one (by `id`) defers
    /// (it polls again without parking), and the lower one, which no higher select marks,
    /// parks after a bounded number of passes, to be claimed then.
    pub(crate) fn claim(&self, case: usize, by: Option<&Arc<SelectShared>>) -> Claim {
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            let (next, claim) = match current {
                WAITING => (SELECTED + case, Claim::Won),
                POLLING | DIRTY => match by {
                    Some(by) if by.id > self.id => {
                        by.deferred.store(true, Ordering::Relaxed);
                        return Claim::Busy;
                    }
                    _ if current == DIRTY => return Claim::Busy,
                    _ => (DIRTY, Claim::Busy),
                },
                _ => return Claim::Stale,
            };
            match self
                .state
                .compare_exchange(current, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return claim,
                Err(actual) => current = actual,
            }
        }
    }

    /// Select side: did the last pass defer to a lower polling select? Clears the flag.
    pub(crate) fn take_deferred(&self) -> bool {
        self.deferred.swap(false, Ordering::Relaxed)
    }

    /// Select side: a pass starts. `WAITING → POLLING`, or the case a counterpart chose.
    pub(crate) fn begin(&self) -> Begin {
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            match current {
                POLLING | DIRTY => return Begin::Polling,
                WAITING => match self.state.compare_exchange(
                    WAITING,
                    POLLING,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return Begin::Polling,
                    Err(actual) => current = actual,
                },
                ABORTED => unreachable!("an aborted select is not polled"),
                selected => return Begin::Selected(selected - SELECTED),
            }
        }
    }

    /// Select side, while polling: it completes case `k` itself.
    ///
    /// A swap, not a store: counterparts may be CASing `POLLING → DIRTY` at this moment,
    /// and every write to the state must be totally ordered with theirs (a plain store
    /// need not be, in the memory model, and loom explores exactly that).
    pub(crate) fn commit(&self, k: usize) {
        self.state.swap(SELECTED + k, Ordering::AcqRel);
    }

    /// Select side: the pass found nothing. `true` if it parked (`POLLING → WAITING`);
    /// `false` if a counterpart came by meanwhile (`DIRTY`) and it must poll again.
    pub(crate) fn park(&self) -> bool {
        match self
            .state
            .compare_exchange(POLLING, WAITING, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(DIRTY) => {
                // `DIRTY → POLLING`: only this select leaves DIRTY; a swap, as in `commit`.
                self.state.swap(POLLING, Ordering::AcqRel);
                false
            }
            Err(other) => unreachable!("a polling select's state only turns DIRTY, not {other}"),
        }
    }

    /// Select side: the case it committed to completed but was refused (a pattern that
    /// does not match), and the select goes on. `SELECTED(k) → POLLING`; its other
    /// entries were withdrawn first, so no counterpart can have claimed one since.
    pub(crate) fn reopen(&self) {
        self.state.swap(POLLING, Ordering::AcqRel);
    }

    /// Select side, on drop: `WAITING → ABORTED`; `Err(k)` if case `k` had been chosen.
    pub(crate) fn abort(&self) -> Result<(), usize> {
        match self.state.swap(ABORTED, Ordering::AcqRel) {
            selected if selected >= SELECTED => Err(selected - SELECTED),
            _ => Ok(()),
        }
    }

    /// Counterpart side: a claimed case of this select cannot be completed after all (the
    /// value to hand over was never produced): the select must poll anew.
    ///
    /// `SELECTED(case) → POLLING`, not `WAITING`: the select may still be in the pass in
    /// which it committed to `case` (unregistering its other cases), and must not be
    /// claimable through one of those before it has polled again. `POLLING` keeps every
    /// counterpart out (they mark it `DIRTY`) until the wake-up makes it run a pass.
    pub(crate) fn unclaim(&self, case: usize) {
        let _ = self.state.compare_exchange(
            SELECTED + case,
            POLLING,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        self.wake();
    }

    pub(crate) fn register_waker(&self, waker: &std::task::Waker) {
        #[cfg(goscope_loom)]
        self.waker.register_by_ref(waker);
        #[cfg(not(goscope_loom))]
        self.waker.register(waker);
    }

    pub(crate) fn wake(&self) {
        self.waker.wake();
    }

    /// The select's waker, taken to be woken later (a channel takes it under its lock and
    /// wakes it after releasing the lock); `None` if none is registered or one is being
    /// registered (then the registration wakes it at once).
    pub(crate) fn take_waker(&self) -> Option<std::task::Waker> {
        #[cfg(goscope_loom)]
        return self.waker.take_waker();
        #[cfg(not(goscope_loom))]
        return self.waker.take();
    }
}

impl fmt::Debug for SelectShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state.load(Ordering::Relaxed) {
            POLLING => "polling".to_owned(),
            DIRTY => "polling (dirty)".to_owned(),
            WAITING => "waiting".to_owned(),
            ABORTED => "aborted".to_owned(),
            k => format!("selected({})", k - SELECTED),
        };
        f.debug_struct("SelectShared")
            .field("state", &state)
            .finish()
    }
}
