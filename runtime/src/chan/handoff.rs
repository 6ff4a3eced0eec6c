//! The moves between the buffer and the waiter queues, under the lock: finding the
//! oldest counterpart (and claiming a select's waiter), handing a value over, refilling
//! freed slots from parked senders, giving a value back. Go's `chan.go` `send`/`recv`
//! with `hchan` locked; the invariants are in the `chan` module docs.

use super::buffer::{RECV, SEND};
use super::core::{Chan, Got, Inner, Wakes, complete, waiter, wake};
use super::error::{TryRecvError, TrySendError};
use super::ring::{PopError, PushError};
use super::waiter::{Link, Queue, WaiterRef};
use crate::loom::Arc;
use crate::select::shared::{Claim, SelectShared};

impl<T> Chan<T> {
    /// A send under the lock: closed → the value back; parked receivers → the buffer's
    /// older values go to them first, then this one; else into the buffer, or `Full`.
    ///
    /// With `park` (the caller parks on `Full`), `SEND` is raised before the buffer is
    /// tried: a receive that pops from then on sees the flag and refills under the lock,
    /// and one that popped before is seen by this try (the `SeqCst` fences of `Parked`).
    pub(super) fn send_locked(
        &self,
        inner: &mut Inner<T>,
        value: T,
        me: Option<&Arc<SelectShared>>,
        park: bool,
        wakes: &mut Wakes,
    ) -> Result<(), TrySendError<T>> {
        if inner.closed {
            return Err(TrySendError::Closed(value));
        }
        let value = if inner.recvq.is_empty() {
            value
        } else {
            if self.cap != 0 || !inner.stash.is_empty() {
                self.settle(inner, me, wakes);
            }
            match inner.hand_over(value, wakes) {
                Ok(()) => return Ok(()),
                Err(value) => value,
            }
        };
        if park && self.cap != 0 {
            self.parked.raise(SEND);
        }
        match self.buf.try_push(value) {
            Ok(()) => Ok(()),
            Err(PushError::Full(v)) => Err(TrySendError::Full(v)),
            Err(PushError::Closed(v)) => Err(TrySendError::Closed(v)),
        }
    }

    /// A receive under the lock: a given-back value, else the buffer's front (a freed
    /// slot goes to the oldest parked sender), else a parked sender's value (a
    /// rendezvous, or a select's lazy send if `lazy_ok`), else closed or empty. A front
    /// slot a select is still filling counts as empty: the fill hands it over.
    ///
    /// With `park` (the caller parks on `Empty`), `RECV` is raised before the buffer is
    /// tried: the mirror of [`Chan::send_locked`].
    pub(super) fn recv_locked(
        &self,
        inner: &mut Inner<T>,
        me: Option<&Arc<SelectShared>>,
        lazy_ok: bool,
        park: bool,
        wakes: &mut Wakes,
    ) -> Result<Got<T>, TryRecvError> {
        if let Some(v) = inner.stash.pop_front() {
            inner.bump();
            return Ok(Got::Value(v));
        }
        if park && self.cap != 0 {
            self.parked.raise(RECV);
        }
        if self.cap != 0 {
            match self.buf.pop(&self.lazy) {
                Ok(v) => {
                    self.refill(inner, me, wakes);
                    return Ok(Got::Value(v));
                }
                Err(PopError::Pending) => return Err(TryRecvError::Empty),
                Err(PopError::Empty | PopError::Closed) => {}
            }
        }
        if let Some(s) = inner.find_sender(me, lazy_ok) {
            // SAFETY: under the lock; `s` was just unlinked and is still WAITING: alive.
            let sender = unsafe { waiter(s) };
            // SAFETY: as above.
            return Ok(match unsafe { sender.with(|slot| slot.take_value()) } {
                // A plain sender (rendezvous): its value, and its send is done.
                Some(v) => {
                    // SAFETY: as above; nobody else points at a plain sender.
                    unsafe { complete(sender, wakes) };
                    Got::Value(v)
                }
                // A select's send case, now chosen: its task produces the value.
                None => {
                    // SAFETY: as above.
                    unsafe { wake(sender, wakes) };
                    Got::Claimed(s)
                }
            });
        }
        if inner.closed {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Restores the resting state under the lock, after a lock-free operation (or a fill)
    /// found a counterpart parked: buffered values go to parked receivers, oldest first,
    /// and free slots to parked senders. Receivers parked on a closed, drained buffer
    /// are woken to see it.
    pub(super) fn settle(
        &self,
        inner: &mut Inner<T>,
        me: Option<&Arc<SelectShared>>,
        wakes: &mut Wakes,
    ) {
        loop {
            self.drain(inner, wakes);
            // Another round only if refilled values now wait beside parked receivers.
            if inner.sendq.is_empty() || !self.refill(inner, me, wakes) || inner.recvq.is_empty() {
                return;
            }
        }
    }

    /// Hands buffered values to parked receivers, oldest first, until one side runs out.
    fn drain(&self, inner: &mut Inner<T>, wakes: &mut Wakes) {
        while !inner.recvq.is_empty() {
            let v = match inner.stash.pop_front() {
                Some(v) => v,
                None => match self.buf.pop(&self.lazy) {
                    Ok(v) => v,
                    Err(PopError::Closed) => return inner.wake_all(wakes),
                    Err(PopError::Empty | PopError::Pending) => return,
                },
            };
            if let Err(v) = inner.hand_over(v, wakes) {
                // Only selects that are polling were found: they look again.
                inner.stash.push_front(v);
                inner.bump();
                return;
            }
        }
    }

    /// Fills free buffer slots from parked senders, oldest first (Go's receive on a full
    /// buffered channel): a plain sender's value moves in and its send is done; a
    /// select's send case is chosen and gets a slot reserved for its value. Whether any
    /// sender moved.
    pub(super) fn refill(
        &self,
        inner: &mut Inner<T>,
        me: Option<&Arc<SelectShared>>,
        wakes: &mut Wakes,
    ) -> bool {
        let mut moved = false;
        while let Some(head) = inner.sendq.head() {
            // SAFETY: under the lock; the head is queued, so alive.
            let sender = unsafe { waiter(head) };
            if sender.is_plain() {
                // SAFETY: as above.
                let v = unsafe { sender.with(|slot| slot.take_value()) };
                let v = v.expect("a parked send holds its value");
                match self.buf.try_push(v) {
                    // SAFETY: as above; the queue is not empty, and once unlinked
                    // nobody else points at a plain sender.
                    Ok(()) => unsafe {
                        inner.sendq.pop_front();
                        complete(sender, wakes);
                    },
                    Err(e) => {
                        // SAFETY: as above.
                        unsafe { sender.with(|slot| slot.put_value(e.into_inner())) };
                        return moved;
                    }
                }
            } else {
                let Some(r) = self.reserve_slot() else {
                    return moved;
                };
                let Some(s) = inner.find_sender(me, true) else {
                    self.cancelled(inner, r);
                    return moved;
                };
                // SAFETY: under the lock; `s` was just unlinked and is still WAITING.
                let sender = unsafe { waiter(s) };
                // SAFETY: as above.
                match unsafe { sender.with(|slot| slot.take_value()) } {
                    Some(v) => {
                        self.filled(inner, r, v);
                        // SAFETY: as above; nobody else points at a plain sender.
                        unsafe { complete(sender, wakes) };
                    }
                    None => {
                        inner.reserve(sender, r);
                        // SAFETY: as above.
                        unsafe { wake(sender, wakes) };
                    }
                }
            }
            moved = true;
        }
        moved
    }
}

impl<T> Inner<T> {
    /// The oldest parked receiver that can take a value now, unlinked (not woken yet).
    pub(super) fn find_receiver(&mut self, me: Option<&Arc<SelectShared>>) -> Option<WaiterRef<T>> {
        let head = self.recvq.head()?;
        // SAFETY: under the lock; the head is queued, so alive.
        if unsafe { waiter(head) }.is_plain() {
            // SAFETY: as above; the queue is not empty.
            return Some(unsafe { self.recvq.pop_front() });
        }
        Self::find_from(&mut self.recvq, Some(head), me, true, false)
    }

    /// The oldest parked sender that can hand over now, unlinked (not woken yet). A
    /// select's lazy send waiter is taken only if `lazy_ok` (the caller can wait for the
    /// value).
    fn find_sender(
        &mut self,
        me: Option<&Arc<SelectShared>>,
        lazy_ok: bool,
    ) -> Option<WaiterRef<T>> {
        let head = self.sendq.head()?;
        // SAFETY: under the lock; the head is queued, so alive.
        if unsafe { waiter(head) }.is_plain() {
            // SAFETY: as above; the queue is not empty.
            return Some(unsafe { self.sendq.pop_front() });
        }
        Self::find_from(&mut self.sendq, Some(head), me, lazy_ok, true)
    }

    /// Walks `queue` from `w`, the oldest (a select's; a plain head is taken by the
    /// callers): a plain waiter is taken; a select's is claimed
    /// by CAS (a polling select is told to poll again, a stale waiter is dropped from the
    /// queue); `me`'s own waiters, and select send waiters unless `lazy_ok`, are passed
    /// by. Kept out of line: the common case of no parked counterpart stays a load and a
    /// compare.
    #[inline(never)]
    fn find_from(
        queue: &mut Queue<T>,
        mut w: Option<WaiterRef<T>>,
        me: Option<&Arc<SelectShared>>,
        lazy_ok: bool,
        senders: bool,
    ) -> Option<WaiterRef<T>> {
        while let Some(p) = w {
            // SAFETY: under the lock; `p` is queued, so alive. `next` is read before `p`
            // is unlinked.
            let (next, claim) = unsafe {
                let next = Queue::next(p);
                let claim = waiter(p).with(|slot| match slot.select() {
                    None => Claim::Won,
                    Some(sel) if sel.is(me) || (senders && !lazy_ok) => Claim::Busy,
                    Some(sel) => sel.shared.claim(sel.case, me),
                });
                (next, claim)
            };
            match claim {
                Claim::Won => {
                    // SAFETY: under the lock; `p` is in `queue`.
                    unsafe { queue.unlink(p) };
                    return Some(p);
                }
                Claim::Busy => {}
                // SAFETY: as above.
                Claim::Stale => unsafe { queue.unlink(p) },
            }
            w = next;
        }
        None
    }

    /// A value given back by a receive dropped after it was handed the value: to the
    /// next parked receiver, else in front of everything buffered (it was sent first).
    pub(super) fn give_back(&mut self, value: T, wakes: &mut Wakes) {
        if let Err(value) = self.hand_over(value, wakes) {
            self.stash.push_front(value);
            self.bump();
        }
    }

    /// Hands `value` to the oldest parked receiver that can take it; `Err(value)` if none.
    pub(super) fn hand_over(&mut self, value: T, wakes: &mut Wakes) -> Result<(), T> {
        let Some(r) = self.find_receiver(None) else {
            return Err(value);
        };
        // SAFETY: under the lock; `r` was just unlinked and is still WAITING: alive, and
        // (a queued receiver) no partner's.
        unsafe {
            let receiver = waiter(r);
            receiver.with(|slot| slot.put_value(value));
            complete(receiver, wakes);
        }
        Ok(())
    }

    /// The receive waiter `r` waited for a value that will not come: it waits on, first
    /// in line; a select owning it polls anew.
    ///
    /// # Safety
    ///
    /// Under the lock; `r` is `WAITING`, a partner's that just let it go.
    pub(super) unsafe fn release_receiver(&mut self, r: WaiterRef<T>, wakes: &mut Wakes) {
        // SAFETY: the caller's contract.
        unsafe {
            let receiver = waiter(r);
            let select = receiver.with(|slot| {
                slot.set_link(Link::None);
                slot.select().cloned()
            });
            self.bump();
            self.recvq.push_front(r);
            match select {
                // `unclaim` wakes it.
                Some(sel) => sel.shared.unclaim(sel.case),
                None => wake(receiver, wakes),
            }
        }
    }
}
