//! [`List`]: the unbounded buffer of the channel engine v2, a multi-producer
//! multi-consumer linked list of fixed-size blocks, with the same lazy sends, holes and
//! `Pending` as [`Ring`](super::ring::Ring), and memory that follows the backlog: a block
//! is freed as soon as the head has passed every slot in it.
//!
//! # Design
//!
//! crossbeam-channel's list flavor, with one change at the head. Positions count up from
//! 0; position `p` lives in block `p / LAP` at offset `p % LAP`, and offset
//! `BLOCK_CAP = LAP - 1` is a *sentinel* that holds no slot: the position the tail sits
//! on while the producer that took a block's last slot installs the next block. `LAP` is
//! 32 (31 slots a block); 4 under `--cfg goscope_loom`, so that the models cross blocks.
//!
//! - `tail = { index, block }`: `index` is the next position to claim, shifted left by 1;
//!   bit 0 is *closed*. `block` is the block `index` falls in.
//! - `head = { index, block }`: `index` is the next position to pop, shifted left by 1;
//!   bit 0 is *claimed* (below). `block` is the block `index` falls in.
//! - Each slot has a `state`: `EMPTY` (free or reserved), `FILLED` (holds a value) or
//!   `HOLE` (its reservation was cancelled), and a cell for the value. Blocks start
//!   all-`EMPTY` and are never reused.
//!
//! **reserve**: CAS `tail.index` on by one. Whoever takes a block's last slot allocates
//! the next block first (outside the race, so the others wait less), then stores
//! `tail.block`, moves `tail.index` over the sentinel and links `block.next`, all before
//! its reservation exists. Producers that find the tail on a sentinel back off until
//! that is done: the one window where a producer waits for another (crossbeam's too).
//! **fill**/**cancel** write the cell and store `FILLED`, or store `HOLE`.
//!
//! **pop** — the change. crossbeam's consumer moves the head first and then waits for
//! the slot to be written; that cannot give `Pending` without taking the place of the
//! value it waits for. Looking at the slot *before* moving the head would read a block
//! that another consumer may free meanwhile (it passes the slot, finishes the block and
//! frees it while this one was preempted between loading `head.block` and reading the
//! slot). So a consumer first *claims* the head: CAS `index` → `index | CLAIMED`. While
//! the head is claimed it cannot move, so its block cannot be freed, and the claimer
//! alone reads the front slot: `EMPTY` → give the claim back (`index`) and return
//! `Pending`; `FILLED` → take the value; `HOLE` → nothing; then store the next position
//! (skipping the sentinel, with `head.block` moved to `block.next` first), which also
//! releases the claim. The claimer of a block's last slot then frees the block. Before
//! claiming, `tail == head` answers `Empty` (or `Closed`) without touching the head.
//!
//! So consumers take turns at the head for a few instructions (a state load, the move of
//! one `T`, a store or two): a consumer preempted inside that window holds the others
//! up, never the producers. That is the price of `Pending` with safe reclamation and no
//! epoch scheme; the ring, whose slots are never freed, has no such window.
//!
//! ## Invariants
//!
//! 1. `head ≤ tail` in positions, and `head` is never on a sentinel.
//! 2. `head.block` is the block of `head.index` whenever the head is unclaimed or
//!    claimed (it changes only under the claim, before the release store); likewise
//!    `tail.block` for every `tail.index` off a sentinel.
//! 3. A block is alive while some position in it is `≥ head`; it is freed exactly once,
//!    by the claimer of its last slot, after everything else that touched it: every
//!    producer's last access to a block is its `Release` store of `FILLED`/`HOLE` (the
//!    last slot's producer links `next` before its reservation exists), every earlier
//!    consumer's is before its `Release` of the head, and the claimer has `Acquire`d all
//!    of those.
//! 4. No thread dereferences a block it has not made safe: producers only the block of
//!    the slot they reserved (reserved ⇒ not yet passed ⇒ alive), consumers only
//!    `head.block` while holding the claim.
//! 5. A slot holds an initialised `T` exactly when its state is `FILLED` and its position
//!    is `≥ head`; it is moved out once, by the claimer, or dropped by `Drop`.
//! 6. The head passes a position only when it is `FILLED` or `HOLE`: FIFO by reservation
//!    order. A [`Reservation`] is move-only and names its list, as in the ring.
//!
//! ## `len` and `version`
//!
//! [`len`](List::len) is the number of positions between head and tail, sentinels not
//! counted: values, outstanding reservations, and holes not yet passed.
//! [`version`](List::version) is the sum of both indices without their flag bits: a claim that ends
//! in `Pending` leaves it alone, every reservation and every pop changes it.

use std::fmt;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::AtomicU64;

use super::ring::{PopError, PushError, ReserveError};
use crate::loom::{AtomicPtr, AtomicUsize, Ordering, UnsafeCell, fence};
use crate::util::backoff::Backoff;
use crate::util::cache_padded::CachePadded;

#[cfg(test)]
#[path = "list_tests.rs"]
mod tests;

/// Positions per block, the sentinel included.
#[cfg(not(goscope_loom))]
const LAP: usize = 32;
#[cfg(goscope_loom)]
const LAP: usize = 4;
/// Slots per block.
const BLOCK_CAP: usize = LAP - 1;
/// The low bit of an index word is a flag: `CLOSED` in `tail`, `CLAIMED` in `head`.
const SHIFT: usize = 1;
const CLOSED: usize = 1;
const CLAIMED: usize = 1;
/// One position, in an index word.
const ONE: usize = 1 << SHIFT;

/// Slot states.
const EMPTY: usize = 0;
const FILLED: usize = 1;
const HOLE: usize = 2;

/// Hands out the ids that tie a [`Reservation`] to its list (std's atomic, as the
/// ring's: a name, not part of the protocol).
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

struct Slot<T> {
    state: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

struct Block<T> {
    next: AtomicPtr<Block<T>>,
    slots: [Slot<T>; BLOCK_CAP],
}

/// One end of the list.
struct Position<T> {
    index: AtomicUsize,
    block: AtomicPtr<Block<T>>,
}

/// A slot claimed by [`List::try_reserve`], to be given exactly once to
/// [`List::fill`] or [`List::cancel`] of the same list.
#[must_use = "a reservation holds its place in the list until it is filled or cancelled"]
#[derive(Debug)]
pub(crate) struct Reservation {
    list: u64,
    /// The `Block<T>` of the slot, type-erased so the token is not generic.
    block: *const (),
    offset: usize,
}

// SAFETY: the pointer is only dereferenced by `fill`/`cancel` of the list it came from
// (checked by id), on whatever thread calls them; the token carries no `T`.
unsafe impl Send for Reservation {}
// SAFETY: a shared `&Reservation` gives no access to the pointer at all.
unsafe impl Sync for Reservation {}

/// An unbounded MPMC list of blocks with lazy sends; see the [module docs](self).
pub(crate) struct List<T> {
    head: CachePadded<Position<T>>,
    tail: CachePadded<Position<T>>,
    id: u64,
    /// Blocks allocated and not yet freed, for the test that memory follows the backlog.
    #[cfg(test)]
    live_blocks: std::sync::atomic::AtomicUsize,
    _owns: PhantomData<T>,
}

// SAFETY: as the ring's: every `T` goes to exactly one thread (invariant 5), whole.
unsafe impl<T: Send> Send for List<T> {}
// SAFETY: as above; `T: Sync` is not needed since no `&T` is ever shared.
unsafe impl<T: Send> Sync for List<T> {}

impl<T> List<T> {
    /// An empty list, with its first block.
    pub(crate) fn new() -> Self {
        let list = List {
            head: CachePadded::new(Position {
                index: AtomicUsize::new(0),
                block: AtomicPtr::new(ptr::null_mut()),
            }),
            tail: CachePadded::new(Position {
                index: AtomicUsize::new(0),
                block: AtomicPtr::new(ptr::null_mut()),
            }),
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            #[cfg(test)]
            live_blocks: std::sync::atomic::AtomicUsize::new(0),
            _owns: PhantomData,
        };
        let first = list.new_block();
        list.head.block.store(first, Ordering::Relaxed);
        list.tail.block.store(first, Ordering::Relaxed);
        list
    }

    fn new_block(&self) -> *mut Block<T> {
        #[cfg(test)]
        self.live_blocks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Box::into_raw(Box::new(Block {
            next: AtomicPtr::new(ptr::null_mut()),
            slots: std::array::from_fn(|_| Slot {
                state: AtomicUsize::new(EMPTY),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            }),
        }))
    }

    /// # Safety
    ///
    /// `block` came from `new_block` of this list, and nothing touches it afterwards.
    unsafe fn free_block(&self, block: *mut Block<T>) {
        #[cfg(test)]
        self.live_blocks
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        // SAFETY: the caller's promise: `block` is a `Box` of ours, and this is its end.
        drop(unsafe { Box::from_raw(block) });
    }

    /// Pushes `value` at the tail; gives it back only if the list is closed (never
    /// `Full`).
    #[inline]
    pub(crate) fn try_push(&self, value: T) -> Result<(), PushError<T>> {
        match self.try_reserve() {
            Ok(r) => {
                self.publish(r, value);
                Ok(())
            }
            Err(_) => Err(PushError::Closed(value)),
        }
    }

    /// Claims the next tail slot before its value exists; see
    /// [`Ring::try_reserve`](super::ring::Ring::try_reserve). Fails only with `Closed`.
    #[inline]
    pub(crate) fn try_reserve(&self) -> Result<Reservation, ReserveError> {
        let backoff = Backoff::new();
        let mut tail = self.tail.index.load(Ordering::Acquire);
        let mut block = self.tail.block.load(Ordering::Acquire);
        // The block after this one, allocated before the race for the last slot.
        let mut spare: *mut Block<T> = ptr::null_mut();
        let result = loop {
            if tail & CLOSED != 0 {
                break Err(ReserveError::Closed);
            }
            let offset = (tail >> SHIFT) % LAP;
            if offset == BLOCK_CAP {
                // The next block is being installed.
                backoff.snooze();
                tail = self.tail.index.load(Ordering::Acquire);
                block = self.tail.block.load(Ordering::Acquire);
                continue;
            }
            if offset + 1 == BLOCK_CAP && spare.is_null() {
                spare = self.new_block();
            }
            match self.tail.index.compare_exchange_weak(
                tail,
                tail + ONE,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if offset + 1 == BLOCK_CAP {
                        // The last slot: install the next block, then step over the
                        // sentinel.
                        let next = std::mem::replace(&mut spare, ptr::null_mut());
                        self.tail.block.store(next, Ordering::Release);
                        self.tail.index.fetch_add(ONE, Ordering::Release);
                        // SAFETY: `block` is the block of the slot just reserved
                        // (invariant 2), which the head has not passed, so it is alive
                        // (invariant 3).
                        unsafe { (*block).next.store(next, Ordering::Release) };
                    }
                    break Ok(Reservation {
                        list: self.id,
                        block: block.cast_const().cast(),
                        offset,
                    });
                }
                Err(t) => {
                    tail = t;
                    block = self.tail.block.load(Ordering::Acquire);
                    backoff.spin();
                }
            }
        };
        if !spare.is_null() {
            // SAFETY: allocated above and never published.
            unsafe { self.free_block(spare) };
        }
        result
    }

    /// Publishes `value` in the reserved slot, at the FIFO place the reservation took.
    ///
    /// # Panics
    ///
    /// If `r` came from another list.
    #[inline]
    pub(crate) fn fill(&self, r: Reservation, value: T) {
        assert!(r.list == self.id, "a reservation filled into another list");
        self.publish(r, value);
    }

    #[inline]
    fn publish(&self, r: Reservation, value: T) {
        // SAFETY: `r` is this list's (checked, or just made) and unused (consumed here,
        // not copyable), so its slot is reserved and not passed: the block is alive
        // (invariant 3) and this thread alone touches the slot until the store below.
        let slot = unsafe { &(*r.block.cast::<Block<T>>()).slots[r.offset] };
        // SAFETY: as above, nobody reads or writes the cell now, and it holds no value.
        slot.value
            .with_mut(|cell| unsafe { cell.write(MaybeUninit::new(value)) });
        slot.state.store(FILLED, Ordering::Release);
    }

    /// Gives the reserved slot up: it becomes a hole, which pops skip.
    ///
    /// # Panics
    ///
    /// If `r` came from another list.
    #[inline]
    pub(crate) fn cancel(&self, r: Reservation) {
        assert!(r.list == self.id, "a reservation cancelled in another list");
        // SAFETY: as in `publish`: the reserved slot's block is alive until this store.
        let slot = unsafe { &(*r.block.cast::<Block<T>>()).slots[r.offset] };
        slot.state.store(HOLE, Ordering::Release);
    }

    /// Pops the value at the head, skipping holes; see
    /// [`Ring::try_pop`](super::ring::Ring::try_pop).
    #[inline]
    pub(crate) fn try_pop(&self) -> Result<T, PopError> {
        let backoff = Backoff::new();
        loop {
            let head = self.head.index.load(Ordering::Acquire);
            if head & CLAIMED != 0 {
                // Another consumer is at the front for a few instructions.
                backoff.snooze();
                continue;
            }
            fence(Ordering::SeqCst);
            let tail = self.tail.index.load(Ordering::Relaxed);
            if head >> SHIFT == tail >> SHIFT {
                return Err(if tail & CLOSED != 0 {
                    PopError::Closed
                } else {
                    PopError::Empty
                });
            }
            if self
                .head
                .index
                .compare_exchange_weak(head, head | CLAIMED, Ordering::SeqCst, Ordering::Relaxed)
                .is_err()
            {
                backoff.spin();
                continue;
            }
            let block = self.head.block.load(Ordering::Acquire);
            let offset = (head >> SHIFT) % LAP;
            // SAFETY: the claim keeps the head at `head`, so `block` is its block
            // (invariant 2) and alive (invariant 3); `offset < BLOCK_CAP` as the head is
            // never on a sentinel (invariant 1).
            let slot = unsafe { &(*block).slots[offset] };
            let state = slot.state.load(Ordering::Acquire);
            if state == EMPTY {
                // Reserved (`tail` is past it) and not filled: give the claim back.
                self.head.index.store(head, Ordering::Release);
                return Err(PopError::Pending);
            }
            let value = (state == FILLED).then(|| {
                // SAFETY: `FILLED` at a position `≥ head` means the cell holds a value
                // (invariant 5), written before the `Release` store read `Acquire` above;
                // the claim makes this thread its one reader.
                slot.value.with(|cell| unsafe { cell.read().assume_init() })
            });
            if offset + 1 == BLOCK_CAP {
                // SAFETY: as above; the last slot is published, so its producer linked
                // `next` before (invariant 3) and the `Acquire` above made it visible.
                let next = unsafe { (*block).next.load(Ordering::Acquire) };
                debug_assert!(!next.is_null());
                self.head.block.store(next, Ordering::Release);
                self.head.index.store(head + 2 * ONE, Ordering::Release);
                // SAFETY: every slot of `block` is passed and nothing touches it again
                // (invariant 3): this thread read its last slot, and no consumer
                // dereferences a block but the claimed `head.block`, now `next`.
                unsafe { self.free_block(block) };
            } else {
                self.head.index.store(head + ONE, Ordering::Release);
            }
            if let Some(value) = value {
                return Ok(value);
            }
        }
    }

    /// Closes the list: later pushes and reservations fail with `Closed`; what was
    /// pushed or reserved before still comes out. `true` if this call closed it.
    pub(crate) fn close(&self) -> bool {
        self.tail.index.fetch_or(CLOSED, Ordering::SeqCst) & CLOSED == 0
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.tail.index.load(Ordering::SeqCst) & CLOSED != 0
    }

    /// Claimed positions not yet passed by the head: values, outstanding reservations,
    /// and holes the head has not reached.
    pub(crate) fn len(&self) -> usize {
        loop {
            let tail = self.tail.index.load(Ordering::SeqCst);
            let head = self.head.index.load(Ordering::SeqCst);
            // A consistent pair: `tail` did not move while `head` was read.
            if self.tail.index.load(Ordering::SeqCst) == tail {
                let (head, tail) = (head >> SHIFT, tail >> SHIFT);
                // Shift both so that the head falls in lap 0 (indices wrap at 2^63).
                let base = head - head % LAP;
                let tail = tail.wrapping_sub(base) & (usize::MAX >> SHIFT);
                let head = head - base;
                // Minus the sentinels in between.
                return tail - head - tail / LAP;
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        let head = self.head.index.load(Ordering::SeqCst);
        let tail = self.tail.index.load(Ordering::SeqCst);
        head >> SHIFT == tail >> SHIFT
    }

    /// The sum of both indices without their flag bits: it changes with every
    /// reservation and every pop, not with fills, cancels, `close` or a `Pending` claim.
    pub(crate) fn version(&self) -> usize {
        let head = self.head.index.load(Ordering::SeqCst);
        let tail = self.tail.index.load(Ordering::SeqCst);
        (head >> SHIFT).wrapping_add(tail >> SHIFT)
    }
}

impl<T> Drop for List<T> {
    fn drop(&mut self) {
        // `&mut self`: no other thread is here, so relaxed loads see the final state,
        // and no reservation is half-installed (the tail is off a sentinel).
        let tail = self.tail.index.load(Ordering::Relaxed) & !CLOSED;
        let mut head = self.head.index.load(Ordering::Relaxed) & !CLAIMED;
        let mut block = self.head.block.load(Ordering::Relaxed);
        while head != tail {
            let offset = (head >> SHIFT) % LAP;
            if offset < BLOCK_CAP {
                // SAFETY: blocks from the head's on are alive (invariant 3).
                let slot = unsafe { &(*block).slots[offset] };
                if slot.state.load(Ordering::Relaxed) == FILLED {
                    // SAFETY: `FILLED` at a position `≥ head`: an initialised value
                    // nobody took (invariant 5), dropped once, here.
                    slot.value
                        .with_mut(|cell| unsafe { (*cell).assume_init_drop() });
                }
            } else {
                // SAFETY: the sentinel: every slot of `block` is dealt with, and the
                // tail is past it, so `next` is linked.
                let next = unsafe { (*block).next.load(Ordering::Relaxed) };
                // SAFETY: ours, and not touched again.
                unsafe { self.free_block(block) };
                block = next;
            }
            head = head.wrapping_add(ONE);
        }
        // SAFETY: the block the head and tail end in, ours, last use.
        unsafe { self.free_block(block) };
    }
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List::new()
    }
}

impl<T> fmt::Debug for List<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("List")
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}
