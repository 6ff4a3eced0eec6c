//! What a select's channel cases do on the channel, each through the case's own pinned
//! waiter: try now (and park), commit, deliver a lazy send's value, release it, leave.
//! The protocol is in the `select` module docs.

use super::core::{Chan, Got, commit, complete, init_select, take_delivered, waiter};
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
        let mut inner = self.lock();
        // Fast path: a buffered value, and no parked sender to move into its slot.
        if let Some(v) = inner.pop_fast() {
            commit(sel, case);
            // SAFETY: under the lock; `me` is the case's own.
            unsafe { inner.forget(me) };
            self.publish(&inner);
            return SelRecv::Ready(Some(v));
        }
        self.under(inner, |inner, wakes| {
            match inner.try_recv(self.cap, sel, register, wakes) {
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
        let mut inner = self.lock();
        // Fast path: room in the buffer and no parked receiver: reserve a slot.
        if me.is_free() && inner.can_buffer(self.cap) {
            commit(sel, case);
            inner.reserve(me);
            return SelSend::Committed;
        }
        self.under(inner, |inner, _wakes| {
            if inner.closed {
                commit(sel, case);
                // SAFETY: under the lock; `me` is the case's own.
                unsafe { inner.forget(me) };
                return SelSend::Closed;
            }
            if let Some(r) = inner.find_receiver(sel) {
                commit(sel, case);
                // SAFETY: under the lock; `me` is the case's own and pinned, `r` was just
                // found (alive).
                unsafe {
                    init_select(me, sel, case);
                    inner.link(waiter(r), me);
                }
                return SelSend::Committed;
            }
            if inner.buf.len() + inner.reserved < self.cap {
                commit(sel, case);
                inner.reserve(me);
                me.set_state(IDLE);
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
                    Link::Slot => {
                        inner.reserved -= 1;
                        inner.bump();
                        inner.deliver(value, wakes);
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
        if me.is_new() || (me.is_free() && unsafe { me.with(|slot| slot.link().is_none()) }) {
            return;
        }
        self.with(|inner, wakes| {
            // SAFETY: under the lock; `me` is the case's own, a partner is alive.
            unsafe {
                inner.unlink(me);
                let link = me.with(|slot| slot.take_link());
                me.set_state(IDLE);
                match link {
                    Link::Slot => {
                        inner.reserved -= 1;
                        inner.bump();
                        inner.refill(self.cap, None, wakes);
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
        } else if unsafe { me.with(|slot| !slot.link().is_none()) } {
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
        let mut inner = self.lock();
        // SAFETY: under the lock; `me` is the case's own.
        unsafe { inner.forget(me) };
    }
}
