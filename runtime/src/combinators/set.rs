//! The one set behind the functions over any number of futures ([`All`](crate::All),
//! [`TryAll`](crate::TryAll), [`Race`](crate::Race), [`RaceOk`](crate::RaceOk),
//! [`Settle`](crate::Settle)): the futures pinned in one boxed slice of slots, polled in
//! the calling task from a start the caller chooses.
//!
//! # Design
//!
//! Each slot is a [`Branch`] (the slot of an `all!` branch too): running, then holding its
//! output until the join takes it, so outputs stay in input order with no re-ordering and
//! no second allocation (as `futures_util`'s `join_all`).
//!
//! A *pass* (one poll of the set) tries the futures from `start`, going round in input
//! order and wrapping at the end; the caller's `step` polls each and says whether the
//! join goes on. Which futures a pass polls depends on the size:
//!
//! - **Up to [`SMALL`] futures**, every running one, with the caller's context: no waker
//!   of our own, nothing to record — cheaper than tracking wake-ups for so few.
//! - **Above**, only those woken since their last poll, each through a waker of its own
//!   that sets its bit in a shared bitset (`Readiness`) and wakes the caller's task if
//!   the bit was clear. So waking one future of 10,000 costs one poll, not 10,000. Unlike
//!   a `FuturesUnordered` (whose ready queue is in wake-up order), the bitset lets a pass
//!   start anywhere: the race rule (see [`race`](crate::race)) holds at every size.
//!
//! ## Invariants
//!
//! 1. A slot that is not running is never polled again (a late wake-up of a finished
//!    future only sets a bit that the pass skips).
//! 2. A pass polls each future at most once, in the order `start, start + 1, …, len - 1,
//!    0, …, start - 1`, stopping at the first `step` that breaks.
//! 3. Large sets: a wake-up that happens during or after the pass that cleared its bit
//!    sets the bit again and wakes the caller, whose waker was registered before the pass
//!    read any bit: no wake-up is lost, and a future woken while it is being polled is
//!    polled again at the next pass, not in this one (a future that always wakes itself
//!    cannot keep a pass going).
//! 4. The slots never move: a boxed slice (never reallocated), dropped in place; a slot
//!    changes state only through [`Branch`]'s own projections. (So the set is `Unpin`
//!    whatever its futures, and so are the futures built on it.)
//!
//! `set/tests.rs` polls sets by hand, under Miri too (the pinned projections, `pin_slot`
//! and `slots_from`, are the only `unsafe`); `set/loom.rs` models wake-ups from other
//! threads against a pass, where a lost one would leave the join parked forever.

use std::fmt;
use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use crate::combinators::join::Branch;
use crate::loom::{AtomicUsize, AtomicWaker, Ordering};

/// Up to this many futures a pass polls every running one; above, only the woken
/// (`futures_util`'s `join_all` draws its line at the same place).
pub(crate) const SMALL: usize = 30;

/// The futures of a join or a race, each in its slot.
pub(crate) struct Set<F: Future> {
    slots: Pin<Box<[Branch<F>]>>,
    /// How many slots are running.
    running: usize,
    /// Which slots were woken since their last poll: `None` up to [`SMALL`].
    woken: Option<Woken>,
    /// Whether the join has completed (its slots are then dropped).
    spent: bool,
}

impl<F: Future> Set<F> {
    /// A set of `futures`, in input order.
    pub(crate) fn new(futures: impl IntoIterator<Item = F>) -> Self {
        let slots: Box<[Branch<F>]> = futures.into_iter().map(Branch::new).collect();
        let len = slots.len();
        Set {
            slots: Box::into_pin(slots),
            running: len,
            woken: (len > SMALL).then(|| Woken::new(len)),
            spent: false,
        }
    }

    /// How many futures the set was made of.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// One pass from `start` (`< len`, or anything for an empty set). `step` polls a
    /// running slot with the context it is given: `Pending` while it runs on; `Ready`
    /// once it has finished, with whether the join goes on.
    ///
    /// `Ready(Break(_))` as soon as a step breaks; `Ready(Continue(()))` once every slot
    /// has finished; `Pending` otherwise (a waker has been registered for each slot the
    /// pass left running).
    ///
    /// # Panics
    ///
    /// If polled after the join completed (`what` names it in the message).
    pub(crate) fn poll<B>(
        &mut self,
        cx: &mut Context<'_>,
        start: usize,
        what: &str,
        mut step: impl FnMut(Pin<&mut Branch<F>>, &mut Context<'_>) -> Poll<ControlFlow<B>>,
    ) -> Poll<ControlFlow<B>> {
        assert!(!self.spent, "`{what}` polled after it completed");
        let Set {
            slots,
            running,
            woken,
            ..
        } = self;
        let mut visit = |slot: Pin<&mut Branch<F>>, cx: &mut Context<'_>| {
            if !slot.is_running() {
                return ControlFlow::Continue(());
            }
            match step(slot, cx) {
                Poll::Pending => ControlFlow::Continue(()),
                Poll::Ready(flow) => {
                    *running -= 1;
                    flow
                }
            }
        };
        let flow = match woken {
            None => slots_from(slots.as_mut(), start).try_for_each(|slot| visit(slot, cx)),
            Some(woken) => woken.pass(cx, start, |index, cx| {
                visit(pin_slot(slots.as_mut(), index), cx)
            }),
        };
        match flow {
            ControlFlow::Break(b) => Poll::Ready(ControlFlow::Break(b)),
            ControlFlow::Continue(()) if self.running == 0 => {
                Poll::Ready(ControlFlow::Continue(()))
            }
            ControlFlow::Continue(()) => Poll::Pending,
        }
    }

    /// The join is done: every slot's output, in input order, through `take`; then every
    /// slot is dropped.
    pub(crate) fn finish<T>(&mut self, mut take: impl FnMut(Pin<&mut Branch<F>>) -> T) -> Vec<T> {
        let outputs = (0..self.len())
            .map(|index| take(pin_slot(self.slots.as_mut(), index)))
            .collect();
        self.drop_all();
        outputs
    }

    /// The join is done without taking outputs: every future still running is dropped
    /// now, before the join returns.
    pub(crate) fn drop_all(&mut self) {
        self.slots = Box::into_pin(Box::new([]));
        self.woken = None;
        self.running = 0;
        self.spent = true;
    }
}

/// Slot `index` of the pinned slice.
fn pin_slot<F: Future>(slots: Pin<&mut [Branch<F>]>, index: usize) -> Pin<&mut Branch<F>> {
    // SAFETY: pinning is structural for the slots of the slice: it is a boxed slice that
    // is never moved out of, reallocated or resized (invariant 4), and each slot is only
    // reached pinned, here and in `slots_from`; we move nothing out of it.
    unsafe { slots.map_unchecked_mut(|slots| &mut slots[index]) }
}

/// Every slot of the pinned slice, pinned: from `start` to the end, then those before.
fn slots_from<F: Future>(
    slots: Pin<&mut [Branch<F>]>,
    start: usize,
) -> impl Iterator<Item = Pin<&mut Branch<F>>> {
    // SAFETY: as in `pin_slot`: the slice is only split into its slots, each handed out
    // pinned (below); nothing is moved.
    let slots = unsafe { slots.get_unchecked_mut() };
    let (before, from) = slots.split_at_mut(start.min(slots.len()));
    from.iter_mut().chain(before).map(|slot| {
        // SAFETY: a slot of the pinned slice, pinned in place (see above).
        unsafe { Pin::new_unchecked(slot) }
    })
}

impl<F: Future> fmt::Debug for Set<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Set")
            .field("len", &self.len())
            .field("running", &self.running)
            .finish()
    }
}

/// A large set's record of which slots were woken, and their wakers.
struct Woken {
    readiness: Arc<Readiness>,
    /// Slot `i`'s waker, made once.
    wakers: Box<[Waker]>,
}

/// The bits the slots' wakers set, and the task to wake when one goes from clear to set.
struct Readiness {
    parent: AtomicWaker,
    /// Bit `i % BITS` of word `i / BITS`: slot `i` was woken since the pass that last
    /// cleared it. All set at first, so the first pass polls every future.
    words: Box<[AtomicUsize]>,
}

const BITS: usize = usize::BITS as usize;

/// Slot `index`'s waker.
struct SlotWaker {
    readiness: Arc<Readiness>,
    index: usize,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let Readiness { parent, words } = &*self.readiness;
        let bit = 1 << (self.index % BITS);
        // A bit that was set already has woken the task, which has not yet cleared it.
        if words[self.index / BITS].fetch_or(bit, Ordering::AcqRel) & bit == 0 {
            parent.wake();
        }
    }
}

impl Woken {
    fn new(len: usize) -> Self {
        let words = (0..len.div_ceil(BITS))
            .map(|word| {
                let bits = (len - word * BITS).min(BITS);
                AtomicUsize::new(usize::MAX >> (BITS - bits))
            })
            .collect();
        let readiness = Arc::new(Readiness {
            parent: AtomicWaker::new(),
            words,
        });
        let wakers = (0..len)
            .map(|index| {
                Waker::from(Arc::new(SlotWaker {
                    readiness: Arc::clone(&readiness),
                    index,
                }))
            })
            .collect();
        Woken { readiness, wakers }
    }

    /// Calls `visit` on each woken slot from `start` round, with that slot's waker,
    /// clearing its bit first; stops at the first `Break`.
    fn pass<B>(
        &self,
        cx: &mut Context<'_>,
        start: usize,
        mut visit: impl FnMut(usize, &mut Context<'_>) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        // Before any bit is read (invariant 3).
        #[cfg(goscope_loom)]
        self.readiness.parent.register_by_ref(cx.waker());
        #[cfg(not(goscope_loom))]
        self.readiness.parent.register(cx.waker());
        let words = &self.readiness.words;
        let (first, offset) = (start / BITS, start % BITS);
        let take = |word: usize| match words[word].load(Ordering::Relaxed) {
            0 => 0,
            _ => words[word].swap(0, Ordering::AcqRel),
        };
        let mut bits_of = |word: usize, mut bits: usize| {
            while bits != 0 {
                let index = word * BITS + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let mut cx = Context::from_waker(&self.wakers[index]);
                visit(index, &mut cx)?;
            }
            ControlFlow::Continue(())
        };
        // The start word's bits from `start` on, then the other words round, then the
        // start word's bits before `start`.
        let bits = take(first);
        let below = bits & ((1 << offset) - 1);
        bits_of(first, bits & !below)?;
        for word in (first + 1..words.len()).chain(0..first) {
            bits_of(word, take(word))?;
        }
        bits_of(first, below)
    }
}

#[cfg(all(test, goscope_loom))]
mod loom;
#[cfg(all(test, not(goscope_loom)))]
mod tests;
