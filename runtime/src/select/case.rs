//! The cases a select waits on: a channel receive, a channel send with a lazy value, any
//! future. Each turns its outcome into the select's output `O` with its handler.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::shared::SelectShared;
use crate::chan::core::{Chan, Finish, Key, SelRecv, SelSend};
use crate::chan::{Receiver, SendError, Sender};
use crate::sync::Arc;

/// One attempt at a case during a pass (the select is polling: nothing completes into it).
pub(crate) enum Attempt<O> {
    /// This case won and is done.
    Ready(O),
    /// This case won (the select is committed to it) and waits for a hand-off.
    Committed,
    NotReady,
}

/// A case, object-safe so that `Select` holds any mix of them.
pub(crate) trait Case<O> {
    /// Tries the case now. `sel` is `None` on the first, non-registering pass; with
    /// `register`, a channel case parks an entry if not ready. `cx` is `None` in
    /// `try_select` (futures are then polled with a no-op waker).
    fn attempt(
        &mut self,
        sel: Option<&Arc<SelectShared>>,
        index: usize,
        register: bool,
        cx: &mut Context<'_>,
    ) -> Attempt<O>;

    /// A counterpart chose this case while the select was parked, or it committed and
    /// waits for a hand-off.
    fn finish(&mut self) -> Finish<O>;

    /// Another case won: remove this case's parked entry. `lost` is final (the select is
    /// done: a future case drops its future now); otherwise the select is committed to a
    /// hand-off that may still be called off, after which it polls every case anew.
    fn unregister(&mut self, lost: bool);

    /// The select future is dropped after this case was chosen but before it finished:
    /// undo what the choice promised, so that nothing is lost.
    fn abandon(&mut self);
}

/// `recv(rx)`.
pub(crate) struct RecvCase<'a, T, H> {
    chan: &'a Chan<T>,
    key: Option<Key>,
    handle: Option<H>,
}

impl<'a, T, H> RecvCase<'a, T, H> {
    pub(crate) fn new(rx: &'a Receiver<T>, handle: H) -> Self {
        RecvCase {
            chan: rx.chan(),
            key: None,
            handle: Some(handle),
        }
    }
}

impl<T, O, H: FnOnce(Option<T>) -> O> RecvCase<'_, T, H> {
    fn output(&mut self, value: Option<T>) -> O {
        (self.handle.take().expect("a case completes once"))(value)
    }
}

impl<T, O, H: FnOnce(Option<T>) -> O> Case<O> for RecvCase<'_, T, H> {
    fn attempt(
        &mut self,
        sel: Option<&Arc<SelectShared>>,
        index: usize,
        register: bool,
        _cx: &mut Context<'_>,
    ) -> Attempt<O> {
        match self.chan.select_recv(&mut self.key, sel, index, register) {
            SelRecv::Ready(value) => Attempt::Ready(self.output(value)),
            SelRecv::Claimed => Attempt::Committed,
            SelRecv::NotReady => Attempt::NotReady,
        }
    }

    fn finish(&mut self) -> Finish<O> {
        match self.chan.select_recv_finish(&mut self.key) {
            Finish::Ready(value) => Finish::Ready(self.output(value)),
            Finish::Pending => Finish::Pending,
            Finish::Released => Finish::Released,
        }
    }

    fn unregister(&mut self, _lost: bool) {
        self.chan.select_unregister(&mut self.key);
    }

    fn abandon(&mut self) {
        if let Some(key) = self.key.take() {
            self.chan.cancel_recv(key);
        }
    }
}

/// `send(tx, value)`: `value` runs only once the case is chosen.
pub(crate) struct SendCase<'a, T, V, H> {
    chan: &'a Chan<T>,
    key: Option<Key>,
    value: Option<V>,
    handle: Option<H>,
}

impl<'a, T, V, H> SendCase<'a, T, V, H> {
    pub(crate) fn new(tx: &'a Sender<T>, value: V, handle: H) -> Self {
        SendCase {
            chan: tx.chan(),
            key: None,
            value: Some(value),
            handle: Some(handle),
        }
    }
}

/// Releases a committed send case if producing its value panics: the receiver that
/// waits for it waits on.
struct ReleaseOnUnwind<'a, 'k, T> {
    chan: &'a Chan<T>,
    key: &'k mut Option<Key>,
    armed: bool,
}

impl<T> Drop for ReleaseOnUnwind<'_, '_, T> {
    fn drop(&mut self) {
        if self.armed {
            self.chan.select_send_release(self.key);
        }
    }
}

impl<T, O, V, H> SendCase<'_, T, V, H>
where
    V: FnOnce() -> T,
    H: FnOnce(Result<(), SendError<T>>) -> O,
{
    fn produce(&mut self) -> T {
        (self
            .value
            .take()
            .expect("a send case's value is produced once"))()
    }

    fn output(&mut self, result: Result<(), SendError<T>>) -> O {
        (self.handle.take().expect("a case completes once"))(result)
    }

    /// The case is committed: produce the value and hand it over.
    fn complete(&mut self) -> O {
        let mut guard = ReleaseOnUnwind {
            chan: self.chan,
            key: &mut self.key,
            armed: true,
        };
        let value = (self
            .value
            .take()
            .expect("a send case's value is produced once"))();
        guard.armed = false;
        drop(guard);
        self.chan.select_send_finish(&mut self.key, value);
        self.output(Ok(()))
    }
}

impl<T, O, V, H> Case<O> for SendCase<'_, T, V, H>
where
    V: FnOnce() -> T,
    H: FnOnce(Result<(), SendError<T>>) -> O,
{
    fn attempt(
        &mut self,
        sel: Option<&Arc<SelectShared>>,
        index: usize,
        register: bool,
        _cx: &mut Context<'_>,
    ) -> Attempt<O> {
        match self.chan.select_send(&mut self.key, sel, index, register) {
            SelSend::Closed => {
                let value = self.produce();
                Attempt::Ready(self.output(Err(SendError(value))))
            }
            SelSend::Committed => Attempt::Ready(self.complete()),
            SelSend::NotReady => Attempt::NotReady,
        }
    }

    fn finish(&mut self) -> Finish<O> {
        // A receiver chose this case (or a buffer slot was reserved for it).
        Finish::Ready(self.complete())
    }

    fn unregister(&mut self, _lost: bool) {
        self.chan.select_unregister(&mut self.key);
    }

    fn abandon(&mut self) {
        self.chan.select_send_release(&mut self.key);
    }
}

/// Any future; dropped as soon as another case wins.
pub(crate) struct FutureCase<F, H> {
    fut: Option<Pin<Box<F>>>,
    handle: Option<H>,
}

impl<F, H> FutureCase<F, H> {
    pub(crate) fn new(fut: F, handle: H) -> Self {
        FutureCase {
            fut: Some(Box::pin(fut)),
            handle: Some(handle),
        }
    }
}

impl<F: Future, O, H: FnOnce(F::Output) -> O> Case<O> for FutureCase<F, H> {
    fn attempt(
        &mut self,
        sel: Option<&Arc<SelectShared>>,
        index: usize,
        _register: bool,
        cx: &mut Context<'_>,
    ) -> Attempt<O> {
        let fut = self
            .fut
            .as_mut()
            .expect("a losing future case is not polled again");
        match fut.as_mut().poll(cx) {
            Poll::Ready(out) => {
                if let Some(sel) = sel {
                    sel.commit(index);
                }
                Attempt::Ready((self.handle.take().expect("a case completes once"))(out))
            }
            Poll::Pending => Attempt::NotReady,
        }
    }

    fn finish(&mut self) -> Finish<O> {
        unreachable!("no counterpart chooses a future case")
    }

    fn unregister(&mut self, lost: bool) {
        if lost {
            // Another case won: the future is dropped now, unfinished.
            self.fut = None;
        }
    }

    fn abandon(&mut self) {}
}
