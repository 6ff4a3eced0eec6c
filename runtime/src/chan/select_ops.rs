//! What a select's channel cases do on the channel, each through the case's own pinned
//! waiter: try now (and park), commit, deliver a lazy send's value, release it, leave.
//! The protocol is in the `select` module docs.

use super::buffer::{Reserved, SEND};
use super::core::{Chan, Got, Inner, commit, complete, init_select, take_delivered, waiter};
use super::error::TryRecvError;
use super::waiter::{IDLE, Link, Waiter};
use crate::loom::Arc;
use crate::select::case::Finish;
use crate::select::shared::SelectShared;

/// A select receive case, tried now.
pub(crate) enum SelRecv<T> {
    /// Committed: the value, or `None` if closed and drained.
    Ready(Option<T>),
    /// Committed to a select's lazy send: the value will be delivered into the waiter.
    Claimed,
    NotReady,
}

/// A select send case, tried now.
pub(crate) enum SelSend {
    /// Committed, channel closed: produce the value and hand it back.
    Closed,
    /// Committed: produce the value, then [`Chan::select_send_finish`].
    Committed,
    NotReady,
}

impl<T> Chan<T> {
    /// Tries a select's receive case; with `register`, parks its waiter `me` if not
    /// ready.
    ///
    /// `sel` is `None` on a select's first, non-registering pass (no shared state yet).
    pub(crate) fn select_recv(
        &self,
        me: &Waiter<T>,
        sel: Option<&Arc<SelectShared>>,
        case: usize,
        register: bool,
    ) -> SelRecv<T> {
        debug_assert!(sel.is_some() || !register);
        // Fast path: the buffer's front, lock-free, for a case not parked (no counterpart
        // can reach its waiter).
        if me.is_free()
            && let Some(v) = self.pop_fast()
        {
            commit(sel, case);
            return SelRecv::Ready(Some(v));
        }
        self.with(|inner, wakes| {
            match self.recv_locked(inner, sel, register, register, wakes) {
                Ok(Got::Value(v)) => {
                    commit(sel, case);
                    // SAFETY: under the lock; `me` is the case's own.
                    unsafe { inner.forget(me) };
                    SelRecv::Ready(Some(v))
                }
                Err(TryRecvError::Closed) => {
                    commit(sel, case);
                    // SAFETY: as above.
                    unsafe { inner.forget(me) };
                    SelRecv::Ready(None)
                }
                Ok(Got::Claimed(s)) => {
                    commit(sel, case);
                    // SAFETY: under the lock; `me` is the case's own and pinned, `s` was
                    // just claimed (alive).
                    unsafe {
                        init_select(me, sel, case);
                        inner.link(me, waiter(s));
                    }
                    SelRecv::Claimed
                }
                Err(TryRecvError::Empty) => {
                    if register {
                        // SAFETY: under the lock; `me` is the case's own and pinned.
                        unsafe {
                            init_select(me, sel, case);
                            inner.park(me);
                        }
                    }
                    SelRecv::NotReady
                }
            }
        })
    }

    /// Tries a select's send case without its value; with `register`, parks its lazy
    /// waiter `me` if not ready. On `Committed` the value is owed: call
    /// [`Chan::select_send_finish`] with it, or [`Chan::select_send_release`] if it
    /// cannot be produced.
    pub(crate) fn select_send(
        &self,
        me: &Waiter<T>,
        sel: Option<&Arc<SelectShared>>,
        case: usize,
        register: bool,
    ) -> SelSend {
        debug_assert!(sel.is_some() || !register);
        self.with(|inner, wakes| {
            if inner.closed {
                commit(sel, case);
                // SAFETY: under the lock; `me` is the case's own.
                unsafe { inner.forget(me) };
                return SelSend::Closed;
            }
            if !inner.recvq.is_empty() {
                // The buffer's older values go first.
                if self.cap != 0 || !inner.stash.is_empty() {
                    self.settle(inner, sel, wakes);
                }
                if let Some(r) = inner.find_receiver(sel) {
                    commit(sel, case);
                    // SAFETY: under the lock; `me` is the case's own and pinned, `r` was
                    // just found (alive).
                    unsafe {
                        init_select(me, sel, case);
                        inner.link(waiter(r), me);
                    }
                    return SelSend::Committed;
                }
            }
            if register && self.cap != 0 {
                // It may park: a receive that pops from now on sees the flag, and one
                // that popped before is seen by this try (as in `send_locked`).
                self.parked.raise(SEND);
            }
            if let Some(r) = self.reserve_slot() {
                commit(sel, case);
                // SAFETY: under the lock; `me` is the case's own.
                unsafe { self.take_slot(inner, me, r) };
                return SelSend::Committed;
            }
            if register {
                // SAFETY: under the lock; `me` is the case's own and pinned.
                unsafe {
                    init_select(me, sel, case);
                    inner.park(me);
                }
            }
            SelSend::NotReady
        })
    }

    /// The case's own waiter `me` takes the reserved slot `r`, leaving its queue.
    ///
    /// # Safety
    ///
    /// Under the lock; `me` is the case's own.
    unsafe fn take_slot(&self, inner: &mut Inner<T>, me: &Waiter<T>, r: Reserved) {
        inner.reserve(me, r);
        me.set_state(IDLE);
    }

    /// Delivers the value of a committed select send case: into the receive waiting for
    /// it, else (that receiver is gone) to another receiver or the buffer.
    pub(crate) fn select_send_finish(&self, me: &Waiter<T>, value: T) {
        self.with(|inner, wakes| {
            // SAFETY: under the lock; `me` is the case's own; a partner is alive (it
            // unlinks itself from us under this lock before it goes).
            unsafe {
                let link = me.with(|slot| slot.take_link());
                me.set_state(IDLE);
                match link {
                    Link::Slot(r) => {
                        self.filled(inner, r, value);
                        self.settle(inner, None, wakes);
                    }
                    Link::None => inner.give_back(value, wakes),
                    Link::Partner(r) => {
                        let receiver = waiter(r);
                        receiver.with(|slot| {
                            slot.set_link(Link::None);
                            slot.put_value(value);
                        });
                        complete(receiver, wakes);
                    }
                }
            }
        });
    }

    /// A committed select send case whose value will not come (its expression panicked,
    /// or the select was dropped): the receiver that waited for it waits on, first in
    /// line; a reserved slot is freed for a parked sender.
    pub(crate) fn select_send_release(&self, me: &Waiter<T>) {
        // SAFETY: an IDLE waiter is its owner's alone.
        if me.is_new() || (me.is_free() && unsafe { me.with(|slot| !slot.is_linked()) }) {
            return;
        }
        self.with(|inner, wakes| {
            // SAFETY: under the lock; `me` is the case's own, a partner is alive.
            unsafe {
                inner.unlink(me);
                let link = me.with(|slot| slot.take_link());
                me.set_state(IDLE);
                match link {
                    Link::Slot(r) => {
                        self.cancelled(inner, r);
                        self.settle(inner, None, wakes);
                    }
                    Link::None => {}
                    Link::Partner(r) => inner.release_receiver(r, wakes),
                }
            }
        });
    }

    /// A chosen select receive case: has its value arrived?
    pub(crate) fn select_recv_finish(&self, me: &Waiter<T>) -> Finish<Option<T>> {
        if me.is_done() {
            return Finish::Ready(Some(take_delivered(me)));
        }
        let _inner = self.lock();
        if me.is_done() {
            Finish::Ready(Some(take_delivered(me)))
        // SAFETY: under the lock; `me` is the case's own.
        } else if unsafe { me.with(|slot| slot.is_linked()) } {
            Finish::Pending
        } else {
            Finish::Released
        }
    }

    /// Takes a case's waiter out of its queue: the case was not chosen (or its select is
    /// gone).
    pub(crate) fn select_unregister(&self, me: &Waiter<T>) {
        if me.is_free() {
            return;
        }
        // SAFETY: under the lock; `me` is the case's own.
        self.with(|inner, _| unsafe { inner.forget(me) });
    }
}
