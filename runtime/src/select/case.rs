//! The cases a select waits on: a channel receive, a channel send with a lazy value, any
//! future. Each turns its outcome into the select's output `O` with its handler.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::shared::SelectShared;
use crate::chan::core::Chan;
use crate::chan::select_ops::{SelRecv, SelSend};
use crate::chan::waiter::Waiter;
use crate::chan::{Receiver, SendError, Sender};
use crate::loom::Arc;

/// A select receive case, after a counterpart chose it.
#[derive(Debug)]
pub enum Finish<T> {
    /// The value (or the case's output).
    Ready(T),
    /// The value is still being produced by a select's send case.
    Pending,
    /// That send case could not produce it: the select polls anew.
    Released,
}

/// One attempt at a case during a pass (the select is polling: nothing completes into it).
#[derive(Debug)]
pub enum Attempt<O> {
    /// This case won and is done.
    Ready(O),
    /// This case won (the select is committed to it) and waits for a hand-off.
    Committed,
    /// Not ready now (registered, if asked to).
    NotReady,
    /// This case completed, but its handler refused the outcome (a `select!` pattern
    /// that does not match): it is disabled, and the select goes on.
    Disabled,
}

/// A case, object-safe so that a select holds any mix of them.
///
/// A case is pinned while a select holds it (boxed by the builder, pinned on the stack by
/// `select!`), because a channel case holds the waiter its channel links to: its methods
/// take `&mut self` but never move the case's contents out of it.
///
/// A case's handler turns its outcome into `Some(output)`, or `None` to refuse it.
pub trait Case<O> {
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
    fn finish(&mut self) -> Finish<Option<O>>;

    /// Another case won: remove this case's parked entry. `lost` is final (the select is
    /// done: a future case drops its future now); otherwise the select is committed to a
    /// hand-off that may still be called off, after which it polls every case anew.
    fn unregister(&mut self, lost: bool);

    /// The select future is dropped after this case was chosen but before it finished:
    /// undo what the choice promised, so that nothing is lost.
    fn abandon(&mut self);

    /// The change count of this case's channel (`None` for a future): a non-blocking
    /// select compares it before an attempt and after its pass.
    fn version(&self) -> Option<usize> {
        None
    }
}

/// `recv(rx)`.
///
/// It holds the waiter it parks in the channel: once a select has tried it, it must not
/// move until it is dropped (the `Select` builder boxes its cases; `select!` pins them on
/// the stack). Dropping it takes the waiter out of the channel.
pub struct RecvCase<'a, T, H> {
    chan: &'a Chan<T>,
    waiter: Waiter<T>,
    handle: Option<H>,
}

impl<'a, T, H> RecvCase<'a, T, H> {
    /// A receive on `rx`; `handle` gets the value (`None`: closed and drained).
    pub fn new(rx: &'a Receiver<T>, handle: H) -> Self {
        RecvCase {
            chan: rx.chan(),
            waiter: Waiter::for_select(false),
            handle: Some(handle),
        }
    }
}

/// A handler's verdict as an attempt.
fn attempt<O>(out: Option<O>) -> Attempt<O> {
    match out {
        Some(out) => Attempt::Ready(out),
        None => Attempt::Disabled,
    }
}

impl<T, O, H: FnOnce(Option<T>) -> Option<O>> RecvCase<'_, T, H> {
    fn output(&mut self, value: Option<T>) -> Option<O> {
        (self.handle.take().expect("a case completes once"))(value)
    }
}

impl<T, O, H: FnOnce(Option<T>) -> Option<O>> Case<O> for RecvCase<'_, T, H> {
    fn attempt(
        &mut self,
        sel: Option<&Arc<SelectShared>>,
        index: usize,
        register: bool,
        _cx: &mut Context<'_>,
    ) -> Attempt<O> {
        match self.chan.select_recv(&self.waiter, sel, index, register) {
            SelRecv::Ready(value) => attempt(self.output(value)),
            SelRecv::Claimed => Attempt::Committed,
            SelRecv::NotReady => Attempt::NotReady,
        }
    }

    fn finish(&mut self) -> Finish<Option<O>> {
        match self.chan.select_recv_finish(&self.waiter) {
            Finish::Ready(value) => Finish::Ready(self.output(value)),
            Finish::Pending => Finish::Pending,
            Finish::Released => Finish::Released,
        }
    }

    fn unregister(&mut self, _lost: bool) {
        self.chan.select_unregister(&self.waiter);
    }

    fn abandon(&mut self) {
        self.chan.cancel_recv(&self.waiter);
    }

    fn version(&self) -> Option<usize> {
        Some(self.chan.version())
    }
}

/// `send(tx, value)`: `value` runs only once the case is chosen.
///
/// It holds the waiter it parks, like [`RecvCase`]: it must not move once tried.
pub struct SendCase<'a, T, V, H> {
    chan: &'a Chan<T>,
    waiter: Waiter<T>,
    value: Option<V>,
    handle: Option<H>,
}

impl<'a, T, V, H> SendCase<'a, T, V, H> {
    /// A send on `tx` of what `value` produces once chosen; `handle` gets the result.
    pub fn new(tx: &'a Sender<T>, value: V, handle: H) -> Self {
        SendCase {
            chan: tx.chan(),
            waiter: Waiter::for_select(true),
            value: Some(value),
            handle: Some(handle),
        }
    }
}

/// Releases a committed send case if producing its value panics: the receiver that
/// waits for it waits on.
struct ReleaseOnUnwind<'a, 'w, T> {
    chan: &'a Chan<T>,
    waiter: &'w Waiter<T>,
    armed: bool,
}

impl<T> Drop for ReleaseOnUnwind<'_, '_, T> {
    fn drop(&mut self) {
        if self.armed {
            self.chan.select_send_release(self.waiter);
        }
    }
}

impl<T, O, V, H> SendCase<'_, T, V, H>
where
    V: FnOnce() -> T,
    H: FnOnce(Result<(), SendError<T>>) -> Option<O>,
{
    /// The value's expression, taken to be run (once).
    fn value(&mut self) -> V {
        self.value
            .take()
            .expect("a send case's value is produced once")
    }

    fn output(&mut self, result: Result<(), SendError<T>>) -> Option<O> {
        (self.handle.take().expect("a case completes once"))(result)
    }

    /// The case is committed: produce the value and hand it over.
    fn complete(&mut self) -> Option<O> {
        let produce = self.value();
        let mut guard = ReleaseOnUnwind {
            chan: self.chan,
            waiter: &self.waiter,
            armed: true,
        };
        let value = produce();
        guard.armed = false;
        drop(guard);
        self.chan.select_send_finish(&self.waiter, value);
        self.output(Ok(()))
    }
}

impl<T, O, V, H> Case<O> for SendCase<'_, T, V, H>
where
    V: FnOnce() -> T,
    H: FnOnce(Result<(), SendError<T>>) -> Option<O>,
{
    fn attempt(
        &mut self,
        sel: Option<&Arc<SelectShared>>,
        index: usize,
        register: bool,
        _cx: &mut Context<'_>,
    ) -> Attempt<O> {
        match self.chan.select_send(&self.waiter, sel, index, register) {
            SelSend::Closed => {
                let value = (self.value())();
                attempt(self.output(Err(SendError(value))))
            }
            SelSend::Committed => attempt(self.complete()),
            SelSend::NotReady => Attempt::NotReady,
        }
    }

    fn finish(&mut self) -> Finish<Option<O>> {
        // A receiver chose this case (or a buffer slot was reserved for it).
        Finish::Ready(self.complete())
    }

    fn unregister(&mut self, _lost: bool) {
        self.chan.select_unregister(&self.waiter);
    }

    fn abandon(&mut self) {
        self.chan.select_send_release(&self.waiter);
    }

    fn version(&self) -> Option<usize> {
        Some(self.chan.version())
    }
}

impl<T, H> Drop for RecvCase<'_, T, H> {
    fn drop(&mut self) {
        // Normally the engine has withdrawn the waiter already (this is then one load).
        self.chan.cancel_recv(&self.waiter);
    }
}

impl<T, V, H> Drop for SendCase<'_, T, V, H> {
    fn drop(&mut self) {
        self.chan.select_send_release(&self.waiter);
    }
}

/// Any future, pinned (`Pin<Box<F>>` in the builder, `Pin<&mut F>` on the stack in
/// `select!`); dropped as soon as another case wins.
pub struct FutureCase<F, H> {
    fut: Option<F>,
    handle: Option<H>,
}

impl<F: Future + Unpin, H> FutureCase<F, H> {
    /// A wait for `fut`; `handle` gets its output.
    pub fn new(fut: F, handle: H) -> Self {
        FutureCase {
            fut: Some(fut),
            handle: Some(handle),
        }
    }
}

impl<F: Future + Unpin, O, H: FnOnce(F::Output) -> Option<O>> Case<O> for FutureCase<F, H> {
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
        match Pin::new(fut).poll(cx) {
            Poll::Ready(out) => {
                if let Some(sel) = sel {
                    sel.commit(index);
                }
                // A finished future is never polled again, even if its pattern refuses it.
                self.fut = None;
                attempt((self.handle.take().expect("a case completes once"))(out))
            }
            Poll::Pending => Attempt::NotReady,
        }
    }

    fn finish(&mut self) -> Finish<Option<O>> {
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

impl<T, H> fmt::Debug for RecvCase<'_, T, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvCase")
            .field("parked", &(!self.waiter.is_free()))
            .finish_non_exhaustive()
    }
}

impl<T, V, H> fmt::Debug for SendCase<'_, T, V, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendCase")
            .field("parked", &(!self.waiter.is_free()))
            .field("produced", &self.value.is_none())
            .finish_non_exhaustive()
    }
}

impl<F, H> fmt::Debug for FutureCase<F, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FutureCase")
            .field("done", &self.fut.is_none())
            .finish_non_exhaustive()
    }
}
