//! [`Ring`]: the bounded buffer of the channel engine v2, a lock-free multi-producer
//! multi-consumer ring of `cap ≥ 1` slots with *lazy sends*: a producer may claim its
//! place in FIFO order before its value exists ([`Ring::try_reserve`]) and then either
//! [`fill`](Ring::fill) it or [`cancel`](Ring::cancel) it.
//!
//! # Design
//!
//! Dmitry Vyukov's bounded MPMC queue, as crossbeam-channel's array flavor has it: two
//! cache-padded counters, `head` (consumers) and `tail` (producers), and a stamp per slot
//! that says which of them may use the slot next. Nobody holds a lock; a producer and a
//! consumer meet only in the stamp of the one slot they hand over.
//!
//! A *position* packs `{ lap, index }` into a `usize`: the low bits are the slot index
//! (`< cap`), then one *mark bit* (`mark_bit`, the power of two above `cap`), then the
//! lap. Moving a position on is `+ 1` inside a lap and "next lap, index 0" at its end,
//! so positions only ever grow (modulo `usize`, which takes centuries of pushes).
//!
//! - `head` is the position of the next slot to pop; its mark bit is always clear.
//! - `tail` is the position of the next slot to claim; its mark bit is *closed*.
//! - The stamp of the slot at index `i`, when the lap-`l` position there is `p`:
//!
//!   | stamp | meaning | who acts next |
//!   | --- | --- | --- |
//!   | `p` | free for position `p` | the producer that claims `p` |
//!   | `p + 1` | holds the value of `p` | the consumer at `p` |
//!   | `(p + 1) \| mark_bit` | a *hole*: `p` was reserved and cancelled | the consumer at `p`, which skips it |
//!   | `p` (reserved) | claimed, not yet filled | nobody: a pop at `p` is `Pending` |
//!
//!   A consumer that takes (or skips) `p` stores `p + one_lap`: free for the same index one
//!   lap later. A slot is *reserved* when `tail` has moved past `p` while its stamp is
//!   still `p`; that is the one state the table cannot tell from "free" without `tail`.
//!
//! - **reserve** at `tail = t`: stamp `t` → CAS `tail` to the next position; the slot is
//!   this producer's until it stores `t + 1` (fill) or `(t + 1) | mark_bit` (cancel).
//!   Stamp one lap behind (`t - one_lap`, reserved; `t + 1 - one_lap`, value or hole)
//!   and `head` a lap behind `tail` → `Full`. Mark bit in `tail` → `Closed`.
//! - **pop** at `head = h`: stamp `h + 1` → CAS `head` on, read the value, store
//!   `h + one_lap`. Stamp `(h + 1) | mark_bit` → the same without a value, then go on to
//!   the next slot. Stamp `h` → `tail == h` means empty (or closed), else the slot is
//!   reserved: `Pending`, without moving `head`.
//!   A producer that finds the ring full with a hole at `head` moves `head` past it (as
//!   a pop would) and tries again: a cancelled reservation holds no capacity once it is
//!   at the front.
//! - **close** sets the mark bit in `tail` (`fetch_or`): every later claim fails, every
//!   earlier claim stays valid, so values and reservations made before still come out.
//!
//! ## Invariants
//!
//! 1. `head ≤ tail ≤ head + cap` (in positions): a producer claims `p` only when the
//!    slot's stamp is `p`, which the consumer of `p - cap` stores after taking its value.
//! 2. Exactly one thread owns a slot's contents at a time: the producer from its CAS
//!    of `tail` to its fill/cancel store, then the consumer from its CAS of `head` to its
//!    `+ one_lap` store. The stamp stores are `Release` and the stamp loads `Acquire`, so
//!    each owner sees the previous one's writes to the cell.
//! 3. A slot's cell holds an initialised `T` exactly when its stamp is `p + 1` (no mark
//!    bit) for the position `p` that is `≥ head`. `Drop` relies on it.
//! 4. `head` moves past `p` only when `p` is filled or a hole, so values come out in
//!    reservation order, whatever the order of the fills.
//! 5. A [`Reservation`] is move-only and consumed by `fill` or `cancel`, so each claimed
//!    slot is published exactly once. It names the ring it came from (a process-unique
//!    id) and `fill`/`cancel` check it, so a reservation cannot write into another ring's
//!    slot. A reservation that is leaked (`mem::forget`) leaves its slot reserved forever:
//!    pops stop at it with `Pending`. That is a bug in the caller, not unsoundness.
//!
//! The cross-counter decisions (full: "`head` a lap behind"; empty: "`tail == head`")
//! follow a `SeqCst` fence and the counters move by `SeqCst` CASes, as in crossbeam: a
//! producer and a consumer that each check the other's counter after moving their own
//! cannot both miss each other, which is what a waker protocol on top needs.
//!
//! ## Where a thread waits
//!
//! Never for a fill: an unfilled front slot is `Pending` and the caller decides. Only for
//! a step another thread has already started and finishes in a few instructions, with
//! [`Backoff`]: a lost CAS, or a consumer between its CAS of `head` and its stamp store
//! (the producer of the next lap at that slot sees neither "free" nor "full").
//!
//! ## `len` and `version`
//!
//! [`len`](Ring::len) is `tail - head` in positions: values, outstanding reservations,
//! and holes that no pop has passed yet (a hole behind the front frees its slot only when
//! `head` gets to it). [`version`](Ring::version) is `head + tail` without the mark bit:
//! it changes with every claim and every pop (including skipping a hole), and not with a
//! fill, a cancel or `close`, which move neither counter.

use std::fmt;
use std::mem::MaybeUninit;
use std::sync::atomic::AtomicU64;

use crate::loom::{AtomicUsize, Ordering, UnsafeCell, fence};
use crate::util::backoff::Backoff;
use crate::util::cache_padded::CachePadded;

#[cfg(test)]
#[path = "ring_tests.rs"]
mod tests;

/// Why [`Ring::try_push`] (or `List::try_push`) gave the value back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PushError<T> {
    /// Every slot is taken (a value, a reservation, or a hole the head has not passed).
    Full(T),
    /// The buffer was closed.
    Closed(T),
}

impl<T> PushError<T> {
    /// The value that was not pushed.
    pub(crate) fn into_inner(self) -> T {
        match self {
            PushError::Full(v) | PushError::Closed(v) => v,
        }
    }
}

/// Why [`Ring::try_reserve`] (or `List::try_reserve`) claimed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReserveError {
    /// Every slot is taken.
    Full,
    /// The buffer was closed.
    Closed,
}

/// Why [`Ring::try_pop`] (or `List::try_pop`) returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PopError {
    /// Nothing is buffered or reserved.
    Empty,
    /// Closed, and nothing (no value, no reservation) is left.
    Closed,
    /// The next slot in FIFO order is reserved and not filled yet: a value behind it, if
    /// any, must wait for it. Spin or park; the filler publishes it.
    Pending,
}

/// Hands out the ids that tie a [`Reservation`] to its ring. std's atomic even under
/// loom: it is not part of the protocol, only a name.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A slot claimed by [`Ring::try_reserve`], to be given exactly once to
/// [`Ring::fill`] or [`Ring::cancel`] of the same ring.
#[must_use = "a reservation holds its place in the ring until it is filled or cancelled"]
#[derive(Debug)]
pub(crate) struct Reservation {
    ring: u64,
    index: usize,
    /// The position claimed; the slot's stamp is still this.
    pos: usize,
}

/// One slot: its stamp, and the cell its value lives in while the stamp says so.
struct Slot<T> {
    stamp: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// A bounded lock-free MPMC ring with lazy sends; see the [module docs](self).
pub(crate) struct Ring<T> {
    head: CachePadded<AtomicUsize>,
    tail: CachePadded<AtomicUsize>,
    slots: Box<[Slot<T>]>,
    /// The power of two above `cap`: the closed bit in `tail`, the hole bit in a stamp.
    mark_bit: usize,
    /// `{ lap: 1, index: 0 }`.
    one_lap: usize,
    /// Holes not yet passed: a producer that finds the ring full looks for one at the
    /// front only while this is not 0 (so a full ring costs nothing more without them).
    holes: AtomicUsize,
    id: u64,
}

// SAFETY: the ring owns its `T`s and hands each to exactly one thread (invariant 2), so
// it may move to and be shared with other threads when `T` may move between threads.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above: through `&Ring<T>` a `T` only ever moves in or out whole, never is
// shared, so `T: Sync` is not needed.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    /// A ring of `cap` slots.
    ///
    /// # Panics
    ///
    /// If `cap` is 0 or so large that a position does not fit in a `usize`.
    pub(crate) fn new(cap: usize) -> Self {
        assert!(cap > 0, "a ring needs at least one slot");
        let mark_bit = cap
            .checked_add(1)
            .and_then(usize::checked_next_power_of_two)
            .expect("ring capacity too large");
        let one_lap = mark_bit.checked_mul(2).expect("ring capacity too large");
        let slots = (0..cap)
            .map(|i| Slot {
                stamp: AtomicUsize::new(i),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        Ring {
            head: CachePadded::new(AtomicUsize::new(0)),
            tail: CachePadded::new(AtomicUsize::new(0)),
            slots,
            mark_bit,
            one_lap,
            holes: AtomicUsize::new(0),
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// How many slots the ring has.
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The position after `pos` (mark bit clear).
    fn next(&self, pos: usize) -> usize {
        if (pos & (self.mark_bit - 1)) + 1 < self.slots.len() {
            pos + 1
        } else {
            (pos & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }

    fn slot(&self, pos: usize) -> &Slot<T> {
        &self.slots[pos & (self.mark_bit - 1)]
    }

    /// Pushes `value` at the tail, or gives it back if the ring is full or closed.
    #[inline]
    pub(crate) fn try_push(&self, value: T) -> Result<(), PushError<T>> {
        match self.try_reserve() {
            Ok(r) => {
                self.publish(r, value);
                Ok(())
            }
            Err(ReserveError::Full) => Err(PushError::Full(value)),
            Err(ReserveError::Closed) => Err(PushError::Closed(value)),
        }
    }

    /// Claims the next tail slot before its value exists: it keeps its FIFO place, and
    /// pops stop at it (`Pending`) until [`fill`](Ring::fill) or
    /// [`cancel`](Ring::cancel). It counts in [`len`](Ring::len) and takes capacity.
    #[inline]
    pub(crate) fn try_reserve(&self) -> Result<Reservation, ReserveError> {
        let backoff = Backoff::new();
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & self.mark_bit != 0 {
                return Err(ReserveError::Closed);
            }
            let stamp = self.slot(tail).stamp.load(Ordering::Acquire);
            if stamp == tail {
                match self.tail.compare_exchange_weak(
                    tail,
                    self.next(tail),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        return Ok(Reservation {
                            ring: self.id,
                            index: tail & (self.mark_bit - 1),
                            pos: tail,
                        });
                    }
                    Err(t) => {
                        tail = t;
                        backoff.spin();
                    }
                }
            } else if (stamp & !self.mark_bit).wrapping_add(self.one_lap) == tail + 1
                || stamp.wrapping_add(self.one_lap) == tail
            {
                // The slot is still the previous lap's: a value, a hole, or a reservation
                // not filled yet. Full, unless its consumer has already moved `head` and
                // not yet stored the stamp.
                fence(Ordering::SeqCst);
                let head = self.head.load(Ordering::Relaxed);
                if head.wrapping_add(self.one_lap) == tail {
                    if self.holes.load(Ordering::Relaxed) != 0 && self.pass_hole(head) {
                        tail = self.tail.load(Ordering::Relaxed);
                        continue;
                    }
                    return Err(if self.tail.load(Ordering::Relaxed) & self.mark_bit != 0 {
                        ReserveError::Closed
                    } else {
                        ReserveError::Full
                    });
                }
                backoff.spin();
                tail = self.tail.load(Ordering::Relaxed);
            } else {
                // `tail` is stale: another producer claimed this slot.
                backoff.snooze();
                tail = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// A full ring whose front slot at `head` is a hole: moves the head past it, as a pop
    /// would, so that the slot is free for the producer that found the ring full (a
    /// cancelled reservation keeps no capacity once it is at the front). `true` if the
    /// head moved (by this thread or another): look again.
    #[cold]
    fn pass_hole(&self, head: usize) -> bool {
        let slot = self.slot(head);
        if slot.stamp.load(Ordering::Acquire) != (head + 1) | self.mark_bit {
            return false;
        }
        let next = self.next(head);
        if self
            .head
            .compare_exchange(head, next, Ordering::SeqCst, Ordering::Relaxed)
            .is_ok()
        {
            // As in `try_pop`: winning the CAS makes this thread the slot's one consumer.
            slot.stamp
                .store(head.wrapping_add(self.one_lap), Ordering::Release);
            self.holes.fetch_sub(1, Ordering::Relaxed);
        }
        true
    }

    /// Publishes `value` in the reserved slot, at the FIFO place the reservation took.
    ///
    /// # Panics
    ///
    /// If `r` came from another ring.
    #[inline]
    pub(crate) fn fill(&self, r: Reservation, value: T) {
        assert!(r.ring == self.id, "a reservation filled into another ring");
        self.publish(r, value);
    }

    /// `fill` without the check, for a reservation this ring just made.
    #[inline]
    fn publish(&self, r: Reservation, value: T) {
        let slot = &self.slots[r.index];
        // SAFETY: `r` is this ring's (checked by `fill`, or made by `try_push` itself) and
        // unused (it is consumed here and cannot be copied), so this thread owns the slot
        // from its CAS of `tail` until the store below (invariant 2): nobody else reads or
        // writes the cell, and the cell holds no value to overwrite (invariant 3).
        slot.value
            .with_mut(|cell| unsafe { cell.write(MaybeUninit::new(value)) });
        slot.stamp.store(r.pos + 1, Ordering::Release);
    }

    /// Gives the reserved slot up: it becomes a hole, which pops skip, and its slot is
    /// free again once the head has passed it.
    ///
    /// # Panics
    ///
    /// If `r` came from another ring.
    #[inline]
    pub(crate) fn cancel(&self, r: Reservation) {
        assert!(r.ring == self.id, "a reservation cancelled in another ring");
        self.holes.fetch_add(1, Ordering::Relaxed);
        self.slots[r.index]
            .stamp
            .store((r.pos + 1) | self.mark_bit, Ordering::Release);
    }

    /// Pops the value at the head, skipping holes. `Pending` if the next slot is reserved
    /// and unfilled; `Closed` only if closed and nothing, reserved or not, is left.
    #[inline]
    pub(crate) fn try_pop(&self) -> Result<T, PopError> {
        let backoff = Backoff::new();
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let slot = self.slot(head);
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp & !self.mark_bit == head + 1 {
                // A value or a hole for `head`.
                let next = self.next(head);
                match self.head.compare_exchange_weak(
                    head,
                    next,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        let value = (stamp & self.mark_bit == 0).then(|| {
                            // SAFETY: the stamp `head + 1` says the cell holds the value
                            // of `head` (invariant 3), and winning the CAS made this
                            // thread its one consumer (invariant 2); the producer's
                            // `Release` stamp store, read `Acquire` above, ordered its
                            // write before this read.
                            slot.value.with(|cell| unsafe { cell.read().assume_init() })
                        });
                        slot.stamp
                            .store(head.wrapping_add(self.one_lap), Ordering::Release);
                        match value {
                            Some(value) => return Ok(value),
                            None => {
                                // A hole: on to the next slot.
                                self.holes.fetch_sub(1, Ordering::Relaxed);
                                head = next;
                            }
                        }
                    }
                    Err(h) => {
                        head = h;
                        backoff.spin();
                    }
                }
            } else if stamp == head {
                // Not written for this lap: empty, or reserved and unfilled.
                fence(Ordering::SeqCst);
                let tail = self.tail.load(Ordering::Relaxed);
                if tail & !self.mark_bit == head {
                    return Err(self.empty_or_closed(tail));
                }
                // `tail` is past `head`, so the slot is reserved; if it is still not
                // filled now, the front of the queue waits for its producer.
                if slot.stamp.load(Ordering::Acquire) == head {
                    return Err(PopError::Pending);
                }
            } else {
                // `head` is stale (another consumer took this slot), or the previous
                // lap's consumer has not stored its stamp yet, which can only be when
                // the ring is empty.
                fence(Ordering::SeqCst);
                let tail = self.tail.load(Ordering::Relaxed);
                if tail & !self.mark_bit == head {
                    return Err(self.empty_or_closed(tail));
                }
                backoff.snooze();
                head = self.head.load(Ordering::Relaxed);
            }
        }
    }

    fn empty_or_closed(&self, tail: usize) -> PopError {
        if tail & self.mark_bit != 0 {
            PopError::Closed
        } else {
            PopError::Empty
        }
    }

    /// Closes the ring: later pushes and reservations fail with `Closed`; what was
    /// pushed or reserved before still comes out. `true` if this call closed it.
    pub(crate) fn close(&self) -> bool {
        self.tail.fetch_or(self.mark_bit, Ordering::SeqCst) & self.mark_bit == 0
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.tail.load(Ordering::SeqCst) & self.mark_bit != 0
    }

    /// Claimed slots not yet passed by the head: values, outstanding reservations, and
    /// holes the head has not reached (see the [module docs](self#len-and-version)).
    pub(crate) fn len(&self) -> usize {
        loop {
            let tail = self.tail.load(Ordering::SeqCst);
            let head = self.head.load(Ordering::SeqCst);
            // A consistent pair: `tail` did not move while `head` was read.
            if self.tail.load(Ordering::SeqCst) == tail {
                let tail = tail & !self.mark_bit;
                let hix = head & (self.mark_bit - 1);
                let tix = tail & (self.mark_bit - 1);
                return if hix < tix {
                    tix - hix
                } else if hix > tix {
                    self.slots.len() - hix + tix
                } else if tail == head {
                    0
                } else {
                    self.slots.len()
                };
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        let head = self.head.load(Ordering::SeqCst);
        let tail = self.tail.load(Ordering::SeqCst);
        tail & !self.mark_bit == head
    }

    #[cfg(test)]
    pub(crate) fn is_full(&self) -> bool {
        let tail = self.tail.load(Ordering::SeqCst);
        let head = self.head.load(Ordering::SeqCst);
        head.wrapping_add(self.one_lap) == tail & !self.mark_bit
    }

    /// A number that changes whenever `head` or `tail` moves (their sum without the mark
    /// bit): two equal reads mean no claim and no pop happened between them. Fills,
    /// cancels and `close` do not change it (see the [module docs](self#len-and-version)).
    pub(crate) fn version(&self) -> usize {
        let head = self.head.load(Ordering::SeqCst);
        let tail = self.tail.load(Ordering::SeqCst);
        head.wrapping_add(tail & !self.mark_bit)
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // `&mut self`: no other thread is here, so relaxed loads see the final state.
        let tail = self.tail.load(Ordering::Relaxed) & !self.mark_bit;
        let mut pos = self.head.load(Ordering::Relaxed);
        while pos != tail {
            let slot = self.slot(pos);
            if slot.stamp.load(Ordering::Relaxed) == pos + 1 {
                // SAFETY: stamp `pos + 1` for a position between `head` and `tail` means
                // the cell holds an initialised value nobody took (invariant 3), and
                // `&mut self` means nobody else touches it; it is dropped once, as the
                // ring goes away.
                slot.value
                    .with_mut(|cell| unsafe { (*cell).assume_init_drop() });
            }
            pos = self.next(pos);
        }
    }
}

impl<T> fmt::Debug for Ring<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ring")
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}
