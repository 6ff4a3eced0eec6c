//! The plain send and receive futures' polls and drops, over their own pinned waiter.
//!
//! Each poll first reads the waiter's state without the lock: `DONE` means a counterpart
//! completed the operation (took the value, or handed one over), and the poll finishes
//! with no lock at all. Otherwise it locks, and re-reads the state under the lock, where
//! only the owner and counterparts holding the lock change it.

use std::task::{Context, Poll};

use super::core::{Chan, Got, Guard, Inner, take_delivered, waiter};
use super::error::{SendError, TryRecvError, TrySendError};
use super::ring::PushError;
use super::waiter::{DONE, IDLE, Link, NEW, Waiter};

impl<T> Chan<T> {
    /// Polls a send of `*value` (present until the value leaves the future) through the
    /// future's own waiter `me`.
    #[inline]
    pub(crate) fn poll_send(
        &self,
        value: &mut Option<T>,
        me: &Waiter<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<T>>> {
        let state = me.state();
        if state <= IDLE {
            // Fast path: into the buffer, lock-free.
            let v = value.take().expect("`SendFuture` polled after completion");
            match self.push_fast(v) {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(PushError::Closed(v)) => return Poll::Ready(Err(SendError(v))),
                Err(PushError::Full(v)) => *value = Some(v),
            }
            return self.poll_send_slow(self.lock(), value, me, cx);
        }
        if state == DONE {
            // A receiver took the value.
            me.set_state(IDLE);
            return Poll::Ready(Ok(()));
        }
        self.poll_send_slow(self.lock(), value, me, cx)
    }

    /// [`Chan::poll_send`] past its fast paths, under the lock.
    #[inline(never)]
    fn poll_send_slow(
        &self,
        inner: Guard<'_, Inner<T>>,
        value: &mut Option<T>,
        me: &Waiter<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<T>>> {
        self.under(inner, |inner, wakes| {
            if me.is_done() {
                me.set_state(IDLE);
                return Poll::Ready(Ok(()));
            }
            if !me.is_free() {
                // Parked with the value.
                // SAFETY: under the lock; `me` is ours.
                unsafe {
                    if inner.closed {
                        inner.unlink(me);
                        let v = me.with(|slot| slot.take_value());
                        me.set_state(IDLE);
                        let v = v.expect("a parked send holds its value");
                        return Poll::Ready(Err(SendError(v)));
                    }
                    me.with(|slot| slot.set_waker(cx));
                }
                return Poll::Pending;
            }
            let v = value.take().expect("`SendFuture` polled after completion");
            match self.send_locked(inner, v, None, true, wakes) {
                Ok(()) => Poll::Ready(Ok(())),
                Err(TrySendError::Closed(v)) => Poll::Ready(Err(SendError(v))),
                Err(TrySendError::Full(v)) => {
                    // SAFETY: under the lock; `me` is ours and pinned in the future.
                    unsafe {
                        me.with(|slot| {
                            slot.put_value(v);
                            slot.set_waker(cx);
                        });
                        inner.park(me);
                    }
                    Poll::Pending
                }
            }
        })
    }

    /// Polls a receive through the future's own waiter `me`.
    #[inline]
    pub(crate) fn poll_recv(&self, me: &Waiter<T>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let state = me.state();
        if state <= IDLE {
            // Fast path: the buffer's front, lock-free.
            if let Some(v) = self.pop_fast() {
                return Poll::Ready(Some(v));
            }
            return self.poll_recv_slow(self.lock(), me, cx);
        }
        if state == DONE {
            return Poll::Ready(Some(take_delivered(me)));
        }
        self.poll_recv_slow(self.lock(), me, cx)
    }

    /// [`Chan::poll_recv`] past its fast paths, under the lock.
    #[inline(never)]
    fn poll_recv_slow(
        &self,
        inner: Guard<'_, Inner<T>>,
        me: &Waiter<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<T>> {
        self.under(inner, |inner, wakes| {
            if me.is_done() {
                return Poll::Ready(Some(take_delivered(me)));
            }
            // SAFETY: under the lock; `me` is ours.
            if !me.is_free() && unsafe { me.with(|slot| slot.is_linked()) } {
                // A select's send case is producing the value for us.
                // SAFETY: as above.
                unsafe { me.with(|slot| slot.set_waker(cx)) };
                return Poll::Pending;
            }
            match self.recv_locked(inner, None, true, true, wakes) {
                Ok(Got::Value(v)) => {
                    // SAFETY: under the lock; `me` is ours.
                    unsafe { inner.forget(me) };
                    Poll::Ready(Some(v))
                }
                Err(TryRecvError::Closed) => {
                    // SAFETY: as above.
                    unsafe { inner.forget(me) };
                    Poll::Ready(None)
                }
                Ok(Got::Claimed(s)) => {
                    // SAFETY: under the lock; `me` is ours and pinned, `s` was just
                    // claimed (alive, WAITING).
                    unsafe {
                        me.with(|slot| slot.set_waker(cx));
                        inner.link(me, waiter(s));
                    }
                    Poll::Pending
                }
                Err(TryRecvError::Empty) => {
                    // SAFETY: under the lock; `me` is ours and pinned in the future.
                    unsafe {
                        me.with(|slot| slot.set_waker(cx));
                        inner.park(me);
                    }
                    Poll::Pending
                }
            }
        })
    }

    /// A send future dropped: if parked, its value was never sent; it is dropped after
    /// the lock is released.
    #[inline]
    pub(crate) fn cancel_send(&self, me: &Waiter<T>) {
        match me.state() {
            NEW | IDLE => {}
            DONE => me.set_state(IDLE),
            _ => self.cancel_parked_send(me),
        }
    }

    #[inline(never)]
    fn cancel_parked_send(&self, me: &Waiter<T>) {
        let value = self.with(|inner, _| {
            // SAFETY: under the lock; `me` is ours.
            unsafe {
                if !me.is_done() {
                    inner.unlink(me);
                }
                me.set_state(IDLE);
                me.with(|slot| slot.take_value())
            }
        });
        drop(value);
    }

    /// A receive future (or a chosen select receive case) dropped. A value already
    /// handed to it was sent: it goes to the next parked receiver, or back to the front
    /// of the buffer. A select send case producing a value for it gives that value back
    /// the same way when done.
    #[inline]
    pub(crate) fn cancel_recv(&self, me: &Waiter<T>) {
        if !me.is_free() {
            self.cancel_waiting_recv(me);
        }
    }

    #[inline(never)]
    fn cancel_waiting_recv(&self, me: &Waiter<T>) {
        self.with(|inner, wakes| {
            // SAFETY: under the lock; `me` is ours, and a partner it points at is alive
            // (it unlinks itself from us under this lock before it goes).
            unsafe {
                inner.unlink(me);
                let (link, value) = me.with(|slot| (slot.take_link(), slot.take_value()));
                if let Link::Partner(s) = link {
                    waiter(s).with(|slot| slot.set_link(Link::None));
                }
                me.set_state(IDLE);
                if let Some(v) = value {
                    inner.give_back(v, wakes);
                }
            }
        });
    }
}
