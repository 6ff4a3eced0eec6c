//! The shared channel state: the buffer, the two waiter queues, the close flag, and the
//! lock over them (the moves between them are in `handoff.rs`). The plain futures' polls are in `ops.rs`, the
//! select cases' in `select_ops.rs`; see the `chan` module docs for the design.

use std::collections::VecDeque;
#[cfg(goscope_loom)]
use std::sync::PoisonError;
use std::task::Waker;

use super::error::{TryRecvError, TrySendError};
use super::waiter::{DONE, IDLE, Link, Queue, SelRef, WAITING, Waiter, WaiterRef};
use crate::loom::{Arc, AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::select::shared::SelectShared;

/// The lock's guard (loom's under `--cfg goscope_loom`).
pub(super) type Guard<'a, T> = MutexGuard<'a, T>;

/// One channel, shared by all its `Sender`s and `Receiver`s.
pub(crate) struct Chan<T> {
    inner: Mutex<Inner<T>>,
    /// Buffer capacity; `usize::MAX` for unbounded, 0 for rendezvous.
    pub(super) cap: usize,
    senders: AtomicUsize,
    receivers: AtomicUsize,
    /// [`Inner::changes`], published on every release of the lock that changed it: read
    /// without the lock by a non-blocking select to tell whether a channel it found not
    /// ready may have become ready since.
    version: AtomicUsize,
}

pub(super) struct Inner<T> {
    /// Counts the changes that can make an operation ready: a value buffered or taken, a
    /// slot freed, a waiter parked, the close.
    changes: usize,
    pub(super) buf: VecDeque<T>,
    /// Unbounded: the buffer gives memory back as its backlog falls (`unbuffer`).
    shrinks: bool,
    pub(super) closed: bool,
    /// Buffer slots promised to select send cases that are producing their values.
    pub(super) reserved: usize,
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
            inner: Mutex::new(Inner {
                changes: 0,
                // Unbounded starts small and grows with its backlog.
                buf: VecDeque::with_capacity(if cap == usize::MAX { 0 } else { cap.min(1024) }),
                shrinks: cap == usize::MAX,
                closed: false,
                reserved: 0,
                recvq: Queue::new(),
                sendq: Queue::new(),
            }),
            cap,
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
        self.publish(&inner);
        drop(inner);
        wakes.run();
        out
    }

    /// Publishes the change count (under the lock).
    #[inline]
    pub(super) fn publish(&self, inner: &Inner<T>) {
        self.version.store(inner.changes, Ordering::Release);
    }

    /// The change count last published; see [`Chan::version`]'s field.
    pub(crate) fn version(&self) -> usize {
        self.version.load(Ordering::Acquire)
    }

    pub(crate) fn capacity(&self) -> Option<usize> {
        (self.cap != usize::MAX).then_some(self.cap)
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().buf.len()
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
            let buffered = std::mem::take(&mut self.lock().buf);
            drop(buffered);
        }
    }

    /// Closes the channel; returns `true` if this call closed it.
    pub(crate) fn close(&self) -> bool {
        self.with(|inner, wakes| {
            if inner.closed {
                return false;
            }
            inner.closed = true;
            inner.bump();
            // Every parked operation polls again and sees `closed`; waiters stay where
            // they are (a parked sender takes its own value back).
            for queue in [&inner.recvq, &inner.sendq] {
                let mut w = queue.head();
                while let Some(p) = w {
                    // SAFETY: under the lock; `p` is queued, so alive.
                    unsafe {
                        wake(waiter(p), wakes);
                        w = Queue::next(p);
                    }
                }
            }
            true
        })
    }

    // ----- non-blocking operations -----

    pub(crate) fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut inner = self.lock();
        if inner.can_buffer(self.cap) {
            inner.buffer(value);
            self.publish(&inner);
            return Ok(());
        }
        self.under(inner, |inner, wakes| inner.try_send(value, self.cap, wakes))
    }

    pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut inner = self.lock();
        if let Some(v) = inner.pop_fast() {
            self.publish(&inner);
            return Ok(v);
        }
        self.under(inner, |inner, wakes| {
            match inner.try_recv(self.cap, None, false, wakes) {
                Ok(Got::Value(v)) => Ok(v),
                Ok(Got::Claimed(_)) => unreachable!("a lazy send is claimed only when waiting"),
                Err(e) => Err(e),
            }
        })
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
    // ----- the buffer, counting changes -----

    /// A change that may make an operation ready (see `changes`).
    #[inline]
    pub(super) fn bump(&mut self) {
        self.changes = self.changes.wrapping_add(1);
    }

    #[inline]
    pub(super) fn buffer(&mut self, value: T) {
        self.buf.push_back(value);
        self.bump();
    }

    /// A value given back goes first: it was sent first.
    pub(super) fn buffer_front(&mut self, value: T) {
        self.buf.push_front(value);
        self.bump();
    }

    #[inline]
    pub(super) fn unbuffer(&mut self) -> Option<T> {
        let value = self.buf.pop_front();
        if value.is_some() {
            self.bump();
            if self.shrinks && self.buf.len() <= self.buf.capacity() / 4 {
                self.shrink();
            }
        }
        value
    }

    /// An unbounded buffer at most a quarter full gives half its memory back (above a
    /// small floor): its memory follows its backlog, and since the next shrink needs a
    /// quarter of the capacity taken out again, the copying is amortised O(1) a value.
    #[cold]
    fn shrink(&mut self) {
        const FLOOR: usize = 32;
        let capacity = self.buf.capacity();
        if capacity > FLOOR {
            self.buf.shrink_to((capacity / 2).max(FLOOR));
        }
    }

    // ----- fast paths -----

    /// A value may go straight into the buffer: open, room, and no parked receiver that
    /// should get it instead (the slow path also looks for stale select waiters).
    #[inline]
    pub(super) fn can_buffer(&self, cap: usize) -> bool {
        !self.closed && self.recvq.is_empty() && self.buf.len() + self.reserved < cap
    }

    /// The oldest buffered value, if taking it leaves nothing to do: no parked sender
    /// waits for the freed slot.
    #[inline]
    pub(super) fn pop_fast(&mut self) -> Option<T> {
        if self.sendq.is_empty() {
            self.unbuffer()
        } else {
            None
        }
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

    /// The select send waiter `s` gets a buffer slot for its value.
    pub(super) fn reserve(&mut self, s: &Waiter<T>) {
        // SAFETY: under the lock (`&mut self`), `s` alive (the caller's or just found).
        unsafe {
            self.sendq.unlink(s.ptr());
            s.with(|slot| slot.set_link(Link::Slot));
        }
        self.reserved += 1;
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
