//! The channel's buffer, outside its lock: the lock-free [`Ring`] for a bounded
//! channel, the lock-free [`List`] for an unbounded one, nothing for a rendezvous; and
//! the [`Parked`] flags through which a lock-free operation learns that a counterpart
//! waits under the lock. The protocol is in the `chan` module docs ("Buffer and lock").

use super::list::{self, List};
use super::ring::{self, PopError, PushError, ReserveError, Ring};
use crate::loom::{AtomicUsize, Ordering, fence};
use crate::util::backoff::Backoff;
use crate::util::cache_padded::CachePadded;

/// A channel's buffer.
pub(super) enum Buffer<T> {
    /// Capacity 0: every value goes from a sender to a receiver under the lock.
    Zero,
    Ring(Ring<T>),
    List(List<T>),
}

/// A buffer slot claimed for a select send case's value, to be filled (or cancelled)
/// once the value exists.
pub(crate) enum Reserved {
    Ring(ring::Reservation),
    List(list::Reservation),
}

impl<T> Buffer<T> {
    /// The buffer for capacity `cap` (`usize::MAX`: unbounded).
    pub(super) fn new(cap: usize) -> Self {
        match cap {
            0 => Buffer::Zero,
            usize::MAX => Buffer::List(List::new()),
            cap => Buffer::Ring(Ring::new(cap)),
        }
    }

    #[inline]
    pub(super) fn try_push(&self, value: T) -> Result<(), PushError<T>> {
        match self {
            Buffer::Ring(ring) => ring.try_push(value),
            Buffer::List(list) => list.try_push(value),
            Buffer::Zero => Err(PushError::Full(value)),
        }
    }

    pub(super) fn try_reserve(&self) -> Result<Reserved, ReserveError> {
        match self {
            Buffer::Ring(ring) => ring.try_reserve().map(Reserved::Ring),
            Buffer::List(list) => list.try_reserve().map(Reserved::List),
            Buffer::Zero => Err(ReserveError::Full),
        }
    }

    /// Fills a slot this buffer reserved.
    pub(super) fn fill(&self, r: Reserved, value: T) {
        match (self, r) {
            (Buffer::Ring(ring), Reserved::Ring(r)) => ring.fill(r, value),
            (Buffer::List(list), Reserved::List(r)) => list.fill(r, value),
            _ => unreachable!("a reservation of another buffer"),
        }
    }

    /// Gives a slot this buffer reserved up (a hole that pops skip).
    pub(super) fn cancel(&self, r: Reserved) {
        match (self, r) {
            (Buffer::Ring(ring), Reserved::Ring(r)) => ring.cancel(r),
            (Buffer::List(list), Reserved::List(r)) => list.cancel(r),
            _ => unreachable!("a reservation of another buffer"),
        }
    }

    /// Pops the oldest value. `Pending` (the front slot is claimed and not filled) is
    /// waited out while no select holds a reservation (`lazy == 0`): the claimer is a
    /// plain push between its two stores, a few instructions from done. So a `Pending`
    /// that comes back means a select is producing the front value.
    #[inline]
    pub(super) fn pop(&self, lazy: &AtomicUsize) -> Result<T, PopError> {
        match self.try_pop() {
            Err(PopError::Pending) => self.pop_pending(lazy),
            popped => popped,
        }
    }

    #[inline]
    fn try_pop(&self) -> Result<T, PopError> {
        match self {
            Buffer::Ring(ring) => ring.try_pop(),
            Buffer::List(list) => list.try_pop(),
            Buffer::Zero => Err(PopError::Empty),
        }
    }

    #[cold]
    fn pop_pending(&self, lazy: &AtomicUsize) -> Result<T, PopError> {
        let backoff = Backoff::new();
        loop {
            if lazy.load(Ordering::SeqCst) != 0 {
                return Err(PopError::Pending);
            }
            backoff.snooze();
            let popped = self.try_pop();
            if !matches!(popped, Err(PopError::Pending)) {
                return popped;
            }
        }
    }

    /// Closes the buffer: pushes and reservations fail from now on.
    pub(super) fn close(&self) {
        match self {
            Buffer::Ring(ring) => {
                ring.close();
            }
            Buffer::List(list) => {
                list.close();
            }
            Buffer::Zero => {}
        }
    }

    /// Values, reservations and holes not yet passed by the head.
    pub(super) fn len(&self) -> usize {
        match self {
            Buffer::Ring(ring) => ring.len(),
            Buffer::List(list) => list.len(),
            Buffer::Zero => 0,
        }
    }

    /// Changes with every claim and every pop (not with fills or cancels, which happen
    /// under the lock and are counted there).
    pub(super) fn version(&self) -> usize {
        match self {
            Buffer::Ring(ring) => ring.version(),
            Buffer::List(list) => list.version(),
            Buffer::Zero => 0,
        }
    }
}

/// Receivers are parked (`recvq` is not empty).
pub(super) const RECV: usize = 1;
/// Senders are parked (`sendq` is not empty).
pub(super) const SEND: usize = 2;
/// Given-back values wait in front of the buffer (`stash` is not empty).
pub(super) const STASH: usize = 4;

/// What waits under the lock, as flags that lock-free operations read: written only
/// under the lock, by [`Parked::raise`] before a waiter re-checks the buffer and by
/// [`Parked::sync`] as the lock is released.
pub(super) struct Parked(CachePadded<AtomicUsize>);

impl Parked {
    pub(super) fn new() -> Self {
        Parked(CachePadded::new(AtomicUsize::new(0)))
    }

    /// The flags, as a hint for a fast path about to start.
    #[inline]
    pub(super) fn hint(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// The flags after this thread's buffer operation: the `SeqCst` fence pairs with
    /// [`Parked::raise`]'s, so either this thread sees the flag, or the waiter that
    /// raised it sees this thread's operation when it re-checks the buffer.
    #[inline]
    pub(super) fn after_op(&self) -> usize {
        fence(Ordering::SeqCst);
        self.0.load(Ordering::Relaxed)
    }

    /// Sets `flag` before a waiter parks and re-checks the buffer (under the lock).
    pub(super) fn raise(&self, flag: usize) {
        let now = self.0.load(Ordering::Relaxed);
        if now & flag == 0 {
            self.0.store(now | flag, Ordering::Relaxed);
        }
        fence(Ordering::SeqCst);
    }

    /// Sets the flags to `now`, what is parked as the lock is released (under the lock).
    #[inline]
    pub(super) fn sync(&self, now: usize) {
        if self.0.load(Ordering::Relaxed) != now {
            self.0.store(now, Ordering::Release);
        }
    }
}
