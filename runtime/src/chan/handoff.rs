//! The moves between the buffer and the waiter queues, under the lock: finding the
//! oldest counterpart (and claiming a select's waiter), handing a value over, refilling
//! freed slots from parked senders, giving a value back. Go's `chan.go` `send`/`recv`
//! with `hchan` locked; the invariants are in the `chan` module docs.

use super::core::{Got, Inner, Wakes, complete, waiter, wake};
use super::error::{TryRecvError, TrySendError};
use super::waiter::{Link, Queue, WaiterRef};
use crate::loom::Arc;
use crate::select::shared::{Claim, SelectShared};

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

    /// Invariants on entry and exit: recvq non-empty ⇒ buf empty; sendq non-empty ⇒
    /// buf.len() + reserved ≥ cap.
    pub(super) fn try_send(
        &mut self,
        value: T,
        cap: usize,
        wakes: &mut Wakes,
    ) -> Result<(), TrySendError<T>> {
        if self.closed {
            return Err(TrySendError::Closed(value));
        }
        let value = match self.hand_over(value, wakes) {
            Ok(()) => return Ok(()),
            Err(value) => value,
        };
        if self.buf.len() + self.reserved < cap {
            self.buffer(value);
            return Ok(());
        }
        Err(TrySendError::Full(value))
    }

    pub(super) fn try_recv(
        &mut self,
        cap: usize,
        me: Option<&Arc<SelectShared>>,
        lazy_ok: bool,
        wakes: &mut Wakes,
    ) -> Result<Got<T>, TryRecvError> {
        if let Some(v) = self.unbuffer() {
            self.refill(cap, me, wakes);
            return Ok(Got::Value(v));
        }
        if let Some(s) = self.find_sender(me, lazy_ok) {
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
        if self.closed {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Fills free buffer slots from parked senders, oldest first (Go's receive on a full
    /// buffered channel): a plain sender's value moves in and its send is done; a
    /// select's send case is chosen and gets the slot reserved for its value.
    pub(super) fn refill(&mut self, cap: usize, me: Option<&Arc<SelectShared>>, wakes: &mut Wakes) {
        while !self.sendq.is_empty() && self.buf.len() + self.reserved < cap {
            let Some(s) = self.find_sender(me, true) else {
                return;
            };
            // SAFETY: under the lock; `s` was just unlinked and is still WAITING: alive.
            let sender = unsafe { waiter(s) };
            // SAFETY: as above.
            match unsafe { sender.with(|slot| slot.take_value()) } {
                Some(v) => {
                    self.buffer(v);
                    // SAFETY: as above; nobody else points at a plain sender.
                    unsafe { complete(sender, wakes) };
                }
                None => {
                    self.reserve(sender);
                    // SAFETY: as above.
                    unsafe { wake(sender, wakes) };
                }
            }
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

    /// A value sent into a reserved slot: to a receiver that parked since, else buffered.
    pub(super) fn deliver(&mut self, value: T, wakes: &mut Wakes) {
        if let Err(value) = self.hand_over(value, wakes) {
            self.buffer(value);
        }
    }

    /// A sent value whose receiver is gone: to the next parked receiver, else to the
    /// front of the buffer (it was sent first), beyond the capacity if need be.
    pub(super) fn give_back(&mut self, value: T, wakes: &mut Wakes) {
        if let Err(value) = self.hand_over(value, wakes) {
            self.buffer_front(value);
        }
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
