//! The shared channel state: the lock-free buffer and, under the lock, the two waiter
//! queues, the given-back values and the close flag (the moves between them are in
//! `handoff.rs`). The plain futures' polls are in `ops.rs`, the select cases' in
//! `select_ops.rs`; see the `chan` module docs for the design.

use std::collections::VecDeque;
#[cfg(goscope_loom)]
use std::sync::PoisonError;
use std::task::Waker;

use super::buffer::{Buffer, Parked, RECV, Reserved, SEND, STASH};
use super::error::{TryRecvError, TrySendError};
use super::ring::PushError;
use super::waiter::{DONE, IDLE, Link, Queue, SelRef, WAITING, Waiter, WaiterRef};
use crate::loom::{Arc, AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::select::shared::SelectShared;

/// The lock's guard (loom's under `--cfg goscope_loom`).
pub(super) type Guard<'a, T> = MutexGuard<'a, T>;

/// One channel, shared by all its `Sender`s and `Receiver`s.
pub(crate) struct Chan<T> {
    /// The buffered values, outside the lock: pushed and popped lock-free.
    pub(super) buf: Buffer<T>,
    /// What waits under the lock, for the lock-free paths to see.
    pub(super) parked: Parked,
    inner: Mutex<Inner<T>>,
    /// Buffer capacity; `usize::MAX` for unbounded, 0 for rendezvous.
    pub(super) cap: usize,
    /// Buffer slots reserved for select send cases and not yet filled or cancelled:
    /// while it is 0, a claimed and unfilled front slot is a plain push between its two
    /// stores (`Buffer::pop`).
    pub(super) lazy: AtomicUsize,
    senders: AtomicUsize,
    receivers: AtomicUsize,
    /// [`Inner::changes`], published on every release of the lock that changed it: with
    /// the buffer's own version, read without the lock by a non-blocking select to tell
    /// whether a channel it found not ready may have become ready since.
    version: AtomicUsize,
}

pub(super) struct Inner<T> {
    /// Counts the changes under the lock that can make an operation ready: a waiter
    /// parked, a value given back or taken from `stash`, a reserved slot filled or
    /// cancelled, the close. (The buffer counts its own pushes and pops.)
    changes: usize,
    /// Values given back by receives dropped after a value was handed to them: they were
    /// sent before anything buffered, so they come out first.
    pub(super) stash: VecDeque<T>,
    pub(super) closed: bool,
    /// Parked receivers, oldest first.
    pub(super) recvq: Queue<T>,
    /// Parked senders, oldest first.
    pub(super) sendq: Queue<T>,
}

/// Wake-ups to run once the lock is released (never under it). Almost every operation
/// wakes at most one task, so the first is kept inline: no allocation.
#[derive(Default)]
pub(super) struct Wakes {
    first: Option<Waker>,
    more: Vec<Waker>,
}

impl Wakes {
    #[inline]
    fn task(&mut self, waker: Waker) {
        match self.first {
            None => self.first = Some(waker),
            Some(_) => self.more.push(waker),
        }
    }

    /// A parked select: its waker is taken now, under the lock, and woken later.
    fn select(&mut self, shared: &SelectShared) {
        if let Some(waker) = shared.take_waker() {
            self.task(waker);
        }
    }

    #[inline]
    fn run(self) {
        if let Some(waker) = self.first {
            waker.wake();
        }
        if !self.more.is_empty() {
            Self::run_more(self.more);
        }
    }

    #[cold]
    fn run_more(more: Vec<Waker>) {
        more.into_iter().for_each(Waker::wake);
    }
}

/// A receive that did not find a value but committed to a select's lazy send: the value
/// is on its way into the receive's waiter.
pub(super) enum Got<T> {
    Value(T),
    Claimed(WaiterRef<T>),
}

/// The waiter behind `w`.
///
/// # Safety
///
/// The channel lock is held and `w` is linked (so alive: `waiter.rs`, invariant 2).
#[inline]
pub(super) unsafe fn waiter<'a, T>(w: WaiterRef<T>) -> &'a Waiter<T> {
    // SAFETY: the caller's contract.
    unsafe { w.as_ref() }
}

impl<T> Chan<T> {
    pub(crate) fn new(cap: usize) -> Self {
        Chan {
            buf: Buffer::new(cap),
            parked: Parked::new(),
            inner: Mutex::new(Inner {
                changes: 0,
                stash: VecDeque::new(),
                closed: false,
                recvq: Queue::new(),
                sendq: Queue::new(),
            }),
            cap,
            lazy: AtomicUsize::new(0),
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
            version: AtomicUsize::new(0),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        // parking_lot's lock does not poison; loom's (std's API) does, but no user code
        // runs under the lock, so a poisoned lock would still hold consistent state.
        #[cfg(goscope_loom)]
        return self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        #[cfg(not(goscope_loom))]
        return self.inner.lock();
    }

    /// Runs `f` under the lock, then the wake-ups it collected.
    pub(super) fn with<R>(&self, f: impl FnOnce(&mut Inner<T>, &mut Wakes) -> R) -> R {
        self.under(self.lock(), f)
    }

    /// Runs `f` under the held lock, releases it, then runs the wake-ups `f` collected.
    pub(super) fn under<R>(
        &self,
        mut inner: MutexGuard<'_, Inner<T>>,
        f: impl FnOnce(&mut Inner<T>, &mut Wakes) -> R,
    ) -> R {
        let mut wakes = Wakes::default();
        let out = f(&mut inner, &mut wakes);
        self.release(&inner);
        drop(inner);
        wakes.run();
        out
    }

    /// As the lock is released: publishes the change count and what is parked.
    #[inline]
    pub(super) fn release(&self, inner: &Inner<T>) {
        self.version.store(inner.changes, Ordering::Release);
        self.parked.sync(inner.parked());
    }

    /// The change count; see [`Chan::version`]'s field.
    pub(crate) fn version(&self) -> usize {
        self.version
            .load(Ordering::Acquire)
            .wrapping_add(self.buf.version())
    }

    pub(crate) fn capacity(&self) -> Option<usize> {
        (self.cap != usize::MAX).then_some(self.cap)
    }

    /// Buffered values (and slots reserved for select sends), and values given back.
    pub(crate) fn len(&self) -> usize {
        self.lock().stash.len() + self.buf.len()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    // ----- handle counts -----

    pub(crate) fn add_sender(&self) {
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_receiver(&self) {
        self.receivers.fetch_add(1, Ordering::Relaxed);
    }

    /// The last sender closes the channel; receivers still drain the buffer.
    pub(crate) fn drop_sender(&self) {
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.close();
        }
    }

    /// The last receiver closes the channel and drops what is buffered: nobody can
    /// receive it any more, and parked senders get their own values back.
    pub(crate) fn drop_receiver(&self) {
        if self.receivers.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.close();
            let stash = std::mem::take(&mut self.lock().stash);
            drop(stash);
            while let Ok(v) = self.buf.pop(&self.lazy) {
                drop(v);
            }
        }
    }

    /// Closes the channel; returns `true` if this call closed it.
    pub(crate) fn close(&self) -> bool {
        self.with(|inner, wakes| {
            if inner.closed {
                return false;
            }
            inner.closed = true;
            self.buf.close();
            inner.bump();
            // Every parked operation polls again and sees `closed`; waiters stay where
            // they are (a parked sender takes its own value back).
            inner.wake_all(wakes);
            true
        })
    }

    // ----- non-blocking operations -----

    pub(crate) fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let value = match self.push_fast(value) {
            Ok(()) => return Ok(()),
            Err(PushError::Closed(v)) => return Err(TrySendError::Closed(v)),
            Err(PushError::Full(v)) => v,
        };
        self.with(|inner, wakes| self.send_locked(inner, value, None, false, wakes))
    }

    pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
        if let Some(v) = self.pop_fast() {
            return Ok(v);
        }
        self.with(
            |inner, wakes| match self.recv_locked(inner, None, false, false, wakes) {
                Ok(Got::Value(v)) => Ok(v),
                Ok(Got::Claimed(_)) => unreachable!("a lazy send is claimed only when waiting"),
                Err(e) => Err(e),
            },
        )
    }

    // ----- lock-free fast paths -----

    /// Pushes `value` into the buffer without the lock, if no receiver is parked; a
    /// receiver that parked meanwhile gets the buffer's front under the lock. `Full`
    /// means: take the slow path (a parked receiver, a rendezvous, or no room).
    #[inline]
    pub(super) fn push_fast(&self, value: T) -> Result<(), PushError<T>> {
        if self.cap == 0 || self.parked.hint() & RECV != 0 {
            return Err(PushError::Full(value));
        }
        self.buf.try_push(value)?;
        if self.parked.after_op() & RECV != 0 {
            self.settle_now();
        }
        Ok(())
    }

    /// Pops the buffer's front without the lock, if no sender is parked and no value was
    /// given back; a sender that parked meanwhile gets the freed slot under the lock.
    /// `None` means: take the slow path.
    #[inline]
    pub(super) fn pop_fast(&self) -> Option<T> {
        if self.cap == 0 || self.parked.hint() & (SEND | STASH) != 0 {
            return None;
        }
        let v = self.buf.pop(&self.lazy).ok()?;
        if self.parked.after_op() & SEND != 0 {
            self.settle_now();
        }
        Some(v)
    }

    #[cold]
    #[inline(never)]
    fn settle_now(&self) {
        self.with(|inner, wakes| self.settle(inner, None, wakes));
    }

    /// A slot for a select send case's value, counted in `lazy` before it is claimed.
    pub(super) fn reserve_slot(&self) -> Option<Reserved> {
        if self.cap == 0 {
            return None;
        }
        self.lazy.fetch_add(1, Ordering::SeqCst);
        match self.buf.try_reserve() {
            Ok(r) => Some(r),
            Err(_) => {
                self.lazy.fetch_sub(1, Ordering::SeqCst);
                None
            }
        }
    }

    /// Fills a reserved slot (under the lock); the caller settles.
    pub(super) fn filled(&self, inner: &mut Inner<T>, r: Reserved, value: T) {
        self.buf.fill(r, value);
        self.lazy.fetch_sub(1, Ordering::SeqCst);
        inner.bump();
    }

    /// Gives a reserved slot up (under the lock): a hole, which pops skip; the caller
    /// settles.
    pub(super) fn cancelled(&self, inner: &mut Inner<T>, r: Reserved) {
        self.buf.cancel(r);
        self.lazy.fetch_sub(1, Ordering::SeqCst);
        inner.bump();
    }
}

/// Wakes `w`'s owner once the lock is released: a plain waiter's waker is taken now, a
/// select's through its shared state.
///
/// # Safety
///
/// Under the lock, `w` shared (`WAITING`).
pub(super) unsafe fn wake<T>(w: &Waiter<T>, wakes: &mut Wakes) {
    // SAFETY: the caller's contract.
    unsafe {
        w.with(|slot| match slot.select() {
            Some(sel) => wakes.select(&sel.shared),
            None => {
                if let Some(waker) = slot.take_waker() {
                    wakes.task(waker);
                }
            }
        });
    }
}

/// Completes `w`, which is unlinked and referenced by nobody now: wakes its owner, then
/// hands it back (`DONE`), the last access (`waiter.rs`, invariant 3).
///
/// # Safety
///
/// Under the lock, `w` `WAITING`, unlinked and no partner's.
pub(super) unsafe fn complete<T>(w: &Waiter<T>, wakes: &mut Wakes) {
    // SAFETY: the caller's contract.
    unsafe { wake(w, wakes) };
    w.set_state(DONE);
}

impl<T> Inner<T> {
    /// A change that may make an operation ready (see `changes`).
    #[inline]
    pub(super) fn bump(&mut self) {
        self.changes = self.changes.wrapping_add(1);
    }

    /// Wakes every parked operation (they stay queued and poll again).
    pub(super) fn wake_all(&mut self, wakes: &mut Wakes) {
        for queue in [&self.recvq, &self.sendq] {
            let mut w = queue.head();
            while let Some(p) = w {
                // SAFETY: under the lock (`&mut self`); `p` is queued, so alive.
                unsafe {
                    wake(waiter(p), wakes);
                    w = Queue::next(p);
                }
            }
        }
    }

    /// What is parked, as [`Parked`] flags.
    #[inline]
    fn parked(&self) -> usize {
        (if self.recvq.is_empty() { 0 } else { RECV })
            | (if self.sendq.is_empty() { 0 } else { SEND })
            | (if self.stash.is_empty() { 0 } else { STASH })
    }

    // ----- waiters -----

    /// Links a waiting receive `r` and the select send `s` owing it a value.
    ///
    /// # Safety
    ///
    /// Under the lock; both alive (each is the caller's own, or just found in a queue).
    pub(super) unsafe fn link(&mut self, r: &Waiter<T>, s: &Waiter<T>) {
        // SAFETY: the caller's contract.
        unsafe {
            self.recvq.unlink(r.ptr());
            self.sendq.unlink(s.ptr());
            r.with(|slot| slot.set_link(Link::Partner(s.ptr())));
            s.with(|slot| slot.set_link(Link::Partner(r.ptr())));
        }
        r.set_state(WAITING);
        s.set_state(WAITING);
    }

    /// The select send waiter `s` gets the buffer slot `r` for its value.
    pub(super) fn reserve(&mut self, s: &Waiter<T>, r: Reserved) {
        // SAFETY: under the lock (`&mut self`), `s` alive (the caller's or just found).
        unsafe {
            self.sendq.unlink(s.ptr());
            s.with(|slot| slot.set_link(Link::Slot(r)));
        }
    }

    /// Parks `w` at the back of its queue, if it is not queued already, and shares it.
    ///
    /// # Safety
    ///
    /// Under the lock; `w` is the caller's own, pinned until it is unlinked.
    pub(super) unsafe fn park(&mut self, w: &Waiter<T>) {
        // SAFETY: the caller's contract.
        unsafe {
            if !w.queued() {
                self.bump();
                if w.is_send() {
                    self.sendq.push_back(w.ptr());
                } else {
                    self.recvq.push_back(w.ptr());
                }
            }
        }
        w.set_state(WAITING);
    }

    /// Takes the caller's own waiter out of its queue, if queued; it owes and is owed
    /// nothing.
    ///
    /// # Safety
    ///
    /// Under the lock; `w` is the caller's own.
    pub(super) unsafe fn forget(&mut self, w: &Waiter<T>) {
        if w.is_free() {
            return;
        }
        // SAFETY: the caller's contract.
        unsafe {
            debug_assert!(w.with(|slot| slot.is_empty()));
            self.unlink(w);
        }
        w.set_state(IDLE);
    }

    /// Unlinks `w` from whichever queue holds it, if any.
    ///
    /// # Safety
    ///
    /// Under the lock; `w` alive.
    pub(super) unsafe fn unlink(&mut self, w: &Waiter<T>) {
        // SAFETY: the caller's contract; a waiter's `send` says which queue may hold it.
        unsafe {
            if w.is_send() {
                self.sendq.unlink(w.ptr());
            } else {
                self.recvq.unlink(w.ptr());
            }
        }
    }
}

/// A select case's waiter learns its select (once: the first time it parks or commits).
///
/// # Safety
///
/// Under the lock, or `w` not shared; `w` is the caller's own.
pub(super) unsafe fn init_select<T>(w: &Waiter<T>, sel: Option<&Arc<SelectShared>>, case: usize) {
    // SAFETY: the caller's contract.
    unsafe {
        w.with(|slot| {
            if let Some(sel) = sel {
                slot.set_select(SelRef {
                    shared: Arc::clone(sel),
                    case,
                });
            }
        });
    }
}

/// A select commits to case `case` (nothing to do on its first pass, which has no state).
#[inline]
pub(super) fn commit(sel: Option<&Arc<SelectShared>>, case: usize) {
    if let Some(sel) = sel {
        sel.commit(case);
    }
}

/// The value a counterpart put into `w` (`DONE`), taken by its owner: `w` is `IDLE` again.
pub(super) fn take_delivered<T>(w: &Waiter<T>) -> T {
    // SAFETY: `w` is DONE, seen with Acquire: the counterpart's writes are visible and no
    // one else touches it (`waiter.rs`, invariant 3).
    let v = unsafe { w.with(|slot| slot.take_value()) };
    w.set_state(IDLE);
    v.expect("a completed receive holds its value")
}
