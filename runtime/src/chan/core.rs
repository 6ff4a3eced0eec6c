//! The shared channel state and every operation on it: the plain send and receive
//! futures', and those of `select` cases. See the `chan` module docs for the design and
//! its invariants.

use std::collections::VecDeque;
#[cfg(goscope_loom)]
use std::sync::PoisonError;
use std::task::{Context, Poll, Waker};

use super::error::{SendError, TryRecvError, TrySendError};
use super::slab::{Queue, Slab};
use crate::loom::{Arc, AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::select::shared::{Claim, SelectShared};

/// Index of an entry in the waiter slab.
pub(crate) type Key = u32;
/// No entry.
pub(crate) const NIL: Key = Key::MAX;
/// The `link` of a select's send entry that holds a reserved buffer slot; also the key
/// of a select send case that reserved a slot on the fast path, without an entry.
pub(super) const SLOT: Key = Key::MAX - 1;

/// One channel, shared by all its `Sender`s and `Receiver`s.
pub(crate) struct Chan<T> {
    inner: Mutex<Inner<T>>,
    /// Buffer capacity; `usize::MAX` for unbounded, 0 for rendezvous.
    cap: usize,
    senders: AtomicUsize,
    receivers: AtomicUsize,
    /// [`Inner::changes`], published on every release of the lock that changed it: read
    /// without the lock by a non-blocking select to tell whether a channel it found not
    /// ready may have become ready since.
    version: AtomicUsize,
}

struct Inner<T> {
    /// Counts the changes that can make an operation ready: a value buffered or taken, a
    /// slot freed, a waiter parked, the close.
    changes: usize,
    buf: VecDeque<T>,
    closed: bool,
    /// Buffer slots promised to select send cases that are producing their values.
    reserved: usize,
    entries: Slab<T>,
    /// Parked receivers, oldest first.
    recvq: Queue,
    /// Parked senders, oldest first.
    sendq: Queue,
}

/// A parked operation. Created and freed only by its owner (a future or a select case);
/// a counterpart only moves values, links and unlinks it, and takes its waker.
pub(crate) struct Entry<T> {
    /// Plain send entry: the value waiting to be taken (`None` once taken: done).
    /// Receive entry: the value handed over (`None` until then).
    value: Option<T>,
    /// How to wake the owner: its waker, or (select entries) the select's shared state.
    waker: Option<Waker>,
    select: Option<SelRef>,
    /// A send entry (`sendq`), not a receive entry (`recvq`).
    send: bool,
    /// A select's send entry and the receive entry that waits for its value (committed
    /// but not yet produced) point at each other; `SLOT` for a reserved buffer slot.
    link: Key,
    pub(super) queued: bool,
    pub(super) prev: Key,
    pub(super) next: Key,
}

#[derive(Clone)]
struct SelRef {
    shared: Arc<SelectShared>,
    case: usize,
}

impl SelRef {
    fn is(&self, me: Option<&Arc<SelectShared>>) -> bool {
        me.is_some_and(|me| Arc::ptr_eq(&self.shared, me))
    }
}

/// Wake-ups to run once the lock is released (never under it). Almost every operation
/// wakes at most one task, so the first is kept inline: no allocation.
#[derive(Default)]
struct Wakes {
    first: Option<Waker>,
    more: Vec<Waker>,
}

impl Wakes {
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
/// is on its way into the receive entry.
pub(crate) enum Got<T> {
    Value(T),
    Claimed(Key),
}

/// A select receive case, tried now.
pub(crate) enum SelRecv<T> {
    /// Committed: the value, or `None` if closed and drained.
    Ready(Option<T>),
    /// Committed to a select's lazy send: the value will be delivered into the entry.
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

impl<T> Chan<T> {
    pub(crate) fn new(cap: usize) -> Self {
        Chan {
            inner: Mutex::new(Inner {
                changes: 0,
                buf: VecDeque::with_capacity(cap.min(1024)),
                closed: false,
                reserved: 0,
                entries: Slab::new(),
                recvq: Queue::EMPTY,
                sendq: Queue::EMPTY,
            }),
            cap,
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
            version: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        // parking_lot's lock does not poison; loom's (std's API) does, but no user code
        // runs under the lock, so a poisoned lock would still hold consistent state.
        #[cfg(goscope_loom)]
        return self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        #[cfg(not(goscope_loom))]
        return self.inner.lock();
    }

    /// Runs `f` under the lock, then the wake-ups it collected.
    fn with<R>(&self, f: impl FnOnce(&mut Inner<T>, &mut Wakes) -> R) -> R {
        self.under(self.lock(), f)
    }

    /// Runs `f` under the held lock, releases it, then runs the wake-ups `f` collected.
    fn under<R>(
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
    fn publish(&self, inner: &Inner<T>) {
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
            // Every parked operation polls again and sees `closed`; entries stay where
            // they are (a parked sender takes its own value back).
            for queue in [inner.recvq, inner.sendq] {
                let mut k = queue.head;
                while k != NIL {
                    inner.wake(k, wakes);
                    k = inner.entries.get_mut(k).next;
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

    // ----- the plain futures' polls -----

    /// Polls a send of `*value` (present until the value leaves the future).
    /// `*key` is the future's parked entry, if any.
    pub(crate) fn poll_send(
        &self,
        value: &mut Option<T>,
        key: &mut Option<Key>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<T>>> {
        let mut inner = self.lock();
        // Fast path: room in the buffer and nobody to hand over to or wake.
        if key.is_none() && inner.can_buffer(self.cap) {
            let v = value.take().expect("`SendFuture` polled after completion");
            inner.buffer(v);
            self.publish(&inner);
            return Poll::Ready(Ok(()));
        }
        self.under(inner, |inner, wakes| {
            if let Some(k) = *key {
                let closed = inner.closed;
                let entry = inner.entries.get_mut(k);
                if entry.value.is_none() {
                    // A receiver took it.
                    inner.entries.remove(k);
                    *key = None;
                    return Poll::Ready(Ok(()));
                }
                if closed {
                    inner.sendq_unlink(k);
                    let v = inner.entries.remove(k).value;
                    *key = None;
                    return Poll::Ready(Err(SendError(v.expect("a parked send holds its value"))));
                }
                set_waker(&mut entry.waker, cx);
                return Poll::Pending;
            }
            let v = value.take().expect("`SendFuture` polled after completion");
            match inner.try_send(v, self.cap, wakes) {
                Ok(()) => Poll::Ready(Ok(())),
                Err(TrySendError::Closed(v)) => Poll::Ready(Err(SendError(v))),
                Err(TrySendError::Full(v)) => {
                    let k = inner.entries.insert(Entry::new(Some(v), true, cx));
                    inner.sendq_push(k);
                    *key = Some(k);
                    Poll::Pending
                }
            }
        })
    }

    /// Polls a receive. `*key` is the future's parked entry, if any.
    pub(crate) fn poll_recv(&self, key: &mut Option<Key>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut inner = self.lock();
        // Fast path: a buffered value, and no parked sender to move into its slot.
        if key.is_none()
            && let Some(v) = inner.pop_fast()
        {
            self.publish(&inner);
            return Poll::Ready(Some(v));
        }
        self.under(inner, |inner, wakes| {
            if let Some(k) = *key {
                let entry = inner.entries.get_mut(k);
                if let Some(v) = entry.value.take() {
                    inner.entries.remove(k);
                    *key = None;
                    return Poll::Ready(Some(v));
                }
                if entry.link != NIL {
                    // A select's send case is producing the value for us.
                    set_waker(&mut entry.waker, cx);
                    return Poll::Pending;
                }
            }
            match inner.try_recv(self.cap, None, true, wakes) {
                Ok(Got::Value(v)) => {
                    inner.free(key);
                    Poll::Ready(Some(v))
                }
                Err(TryRecvError::Closed) => {
                    inner.free(key);
                    Poll::Ready(None)
                }
                Ok(Got::Claimed(s)) => {
                    let k = inner.own_entry(key, cx);
                    inner.link(k, s);
                    Poll::Pending
                }
                Err(TryRecvError::Empty) => {
                    let k = inner.own_entry(key, cx);
                    if !inner.entries.get_mut(k).queued {
                        inner.recvq_push(k);
                    }
                    Poll::Pending
                }
            }
        })
    }

    /// A send future dropped while parked: its value was never sent; it is returned, to
    /// be dropped after the lock is released.
    pub(crate) fn cancel_send(&self, key: Key) -> Option<T> {
        let mut inner = self.lock();
        inner.sendq_unlink(key);
        inner.entries.remove(key).value
    }

    /// A receive future (or a chosen select receive case) dropped while parked. A value
    /// already handed to it was sent: it goes to the next parked receiver, or back to the
    /// front of the buffer. A select send case producing a value for it gives that value
    /// back the same way when done.
    pub(crate) fn cancel_recv(&self, key: Key) {
        self.with(|inner, wakes| {
            inner.recvq_unlink(key);
            let entry = inner.entries.remove(key);
            if entry.link != NIL {
                inner.entries.get_mut(entry.link).link = NIL;
            }
            if let Some(v) = entry.value {
                inner.give_back(v, wakes);
            }
        });
    }

    // ----- select cases -----

    /// Tries a select's receive case; with `register`, parks an entry if not ready.
    ///
    /// `sel` is `None` on a select's first, non-registering pass (no shared state yet).
    pub(crate) fn select_recv(
        &self,
        key: &mut Option<Key>,
        sel: Option<&Arc<SelectShared>>,
        case: usize,
        register: bool,
    ) -> SelRecv<T> {
        debug_assert!(sel.is_some() || !register);
        let mut inner = self.lock();
        // Fast path: a buffered value, and no parked sender to move into its slot.
        if let Some(v) = inner.pop_fast() {
            commit(sel, case);
            inner.free(key);
            self.publish(&inner);
            return SelRecv::Ready(Some(v));
        }
        self.under(inner, |inner, wakes| {
            match inner.try_recv(self.cap, sel, register, wakes) {
                Ok(Got::Value(v)) => {
                    commit(sel, case);
                    inner.free(key);
                    SelRecv::Ready(Some(v))
                }
                Err(TryRecvError::Closed) => {
                    commit(sel, case);
                    inner.free(key);
                    SelRecv::Ready(None)
                }
                Ok(Got::Claimed(s)) => {
                    commit(sel, case);
                    let k = inner.own_select_entry(key, false, sel, case);
                    inner.link(k, s);
                    SelRecv::Claimed
                }
                Err(TryRecvError::Empty) => {
                    if register {
                        let k = inner.own_select_entry(key, false, sel, case);
                        if !inner.entries.get_mut(k).queued {
                            inner.recvq_push(k);
                        }
                    }
                    SelRecv::NotReady
                }
            }
        })
    }

    /// Tries a select's send case without its value; with `register`, parks a lazy entry
    /// if not ready. On `Committed` the value is owed: call [`Chan::select_send_finish`]
    /// with it, or [`Chan::select_send_release`] if it cannot be produced.
    pub(crate) fn select_send(
        &self,
        key: &mut Option<Key>,
        sel: Option<&Arc<SelectShared>>,
        case: usize,
        register: bool,
    ) -> SelSend {
        debug_assert!(sel.is_some() || !register);
        let mut inner = self.lock();
        // Fast path: room in the buffer and no parked receiver: reserve a slot, with no
        // entry (the case's key is `SLOT`).
        if key.is_none() && inner.can_buffer(self.cap) {
            commit(sel, case);
            inner.reserved += 1;
            *key = Some(SLOT);
            return SelSend::Committed;
        }
        self.under(inner, |inner, _wakes| {
            if inner.closed {
                commit(sel, case);
                inner.free(key);
                return SelSend::Closed;
            }
            if let Some(r) = inner.find_receiver(sel) {
                commit(sel, case);
                let s = inner.own_select_entry(key, true, sel, case);
                inner.link(r, s);
                return SelSend::Committed;
            }
            if inner.buf.len() + inner.reserved < self.cap {
                commit(sel, case);
                let s = inner.own_select_entry(key, true, sel, case);
                inner.reserve(s);
                return SelSend::Committed;
            }
            if register {
                let s = inner.own_select_entry(key, true, sel, case);
                if !inner.entries.get_mut(s).queued {
                    inner.sendq_push(s);
                }
            }
            SelSend::NotReady
        })
    }

    /// Delivers the value of a committed select send case: into the receive entry that
    /// waits for it, else (that receiver is gone) to another receiver or the buffer.
    pub(crate) fn select_send_finish(&self, key: &mut Option<Key>, value: T) {
        let s = key.take().expect("a committed send case has an entry");
        let mut inner = self.lock();
        if s == SLOT {
            // Reserved on the fast path, without an entry.
            inner.reserved -= 1;
            inner.bump();
            if inner.recvq.head == NIL {
                inner.buffer(value);
                self.publish(&inner);
                return;
            }
            return self.under(inner, |inner, wakes| inner.deliver(value, wakes));
        }
        self.under(inner, |inner, wakes| {
            let entry = inner.entries.remove(s);
            match entry.link {
                SLOT => {
                    inner.reserved -= 1;
                    inner.bump();
                    inner.deliver(value, wakes);
                }
                NIL => inner.give_back(value, wakes),
                r => {
                    let receiver = inner.entries.get_mut(r);
                    receiver.link = NIL;
                    receiver.value = Some(value);
                    inner.wake(r, wakes);
                }
            }
        });
    }

    /// A committed select send case whose value will not come (its expression panicked,
    /// or the select was dropped): the receiver that waited for it waits on, first in
    /// line; a reserved slot is freed for a parked sender.
    pub(crate) fn select_send_release(&self, key: &mut Option<Key>) {
        self.with(|inner, wakes| {
            let Some(s) = key.take() else { return };
            if s == SLOT {
                inner.reserved -= 1;
                inner.bump();
                inner.refill(self.cap, None, wakes);
                return;
            }
            inner.sendq_unlink(s);
            let entry = inner.entries.remove(s);
            match entry.link {
                SLOT => {
                    inner.reserved -= 1;
                    inner.bump();
                    inner.refill(self.cap, None, wakes);
                }
                NIL => {}
                r => inner.release_receiver(r, wakes),
            }
        });
    }

    /// A chosen select receive case: has its value arrived?
    pub(crate) fn select_recv_finish(&self, key: &mut Option<Key>) -> Finish<Option<T>> {
        let mut inner = self.lock();
        let Some(k) = *key else {
            unreachable!("a receive case is chosen through its entry")
        };
        let entry = inner.entries.get_mut(k);
        if let Some(v) = entry.value.take() {
            inner.entries.remove(k);
            *key = None;
            Finish::Ready(Some(v))
        } else if entry.link != NIL {
            Finish::Pending
        } else {
            Finish::Released
        }
    }

    /// Removes a case's entry that was not chosen (or whose select is gone).
    pub(crate) fn select_unregister(&self, key: &mut Option<Key>) {
        if let Some(k) = key.take() {
            let mut inner = self.lock();
            let entry = inner.entries.get_mut(k);
            debug_assert!(entry.value.is_none() && entry.link == NIL);
            if entry.send {
                inner.sendq_unlink(k);
            } else {
                inner.recvq_unlink(k);
            }
            inner.entries.remove(k);
        }
    }
}

impl<T> Inner<T> {
    // ----- the buffer, counting changes -----

    /// A change that may make an operation ready (see `changes`).
    #[inline]
    fn bump(&mut self) {
        self.changes = self.changes.wrapping_add(1);
    }

    #[inline]
    fn buffer(&mut self, value: T) {
        self.buf.push_back(value);
        self.bump();
    }

    /// A value given back goes first: it was sent first.
    fn buffer_front(&mut self, value: T) {
        self.buf.push_front(value);
        self.bump();
    }

    #[inline]
    fn unbuffer(&mut self) -> Option<T> {
        let value = self.buf.pop_front();
        if value.is_some() {
            self.bump();
        }
        value
    }

    // ----- fast paths -----

    /// A value may go straight into the buffer: open, room, and no parked receiver that
    /// should get it instead (the slow path also looks for stale select entries).
    #[inline]
    fn can_buffer(&self, cap: usize) -> bool {
        !self.closed && self.recvq.head == NIL && self.buf.len() + self.reserved < cap
    }

    /// The oldest buffered value, if taking it leaves nothing to do: no parked sender
    /// waits for the freed slot.
    #[inline]
    fn pop_fast(&mut self) -> Option<T> {
        if self.sendq.head == NIL {
            self.unbuffer()
        } else {
            None
        }
    }

    // ----- finding counterparts -----

    /// The oldest parked receiver that can take a value now, unlinked (not woken yet).
    fn find_receiver(&mut self, me: Option<&Arc<SelectShared>>) -> Option<Key> {
        self.find(false, me, true)
    }

    /// The oldest parked sender that can hand over now, unlinked (not woken yet). A
    /// select's lazy send entry is taken only if `lazy_ok` (the caller can wait for the
    /// value).
    fn find_sender(&mut self, me: Option<&Arc<SelectShared>>, lazy_ok: bool) -> Option<Key> {
        self.find(true, me, lazy_ok)
    }

    /// Walks `sendq` (`senders`) or `recvq` from the oldest entry: a plain entry is taken;
    /// a select's is claimed by CAS (a polling select is told to poll again, a stale entry
    /// is dropped from the queue); `me`'s own entries, and select send entries unless
    /// `lazy_ok`, are passed by.
    #[inline]
    fn find(
        &mut self,
        senders: bool,
        me: Option<&Arc<SelectShared>>,
        lazy_ok: bool,
    ) -> Option<Key> {
        let k = if senders {
            self.sendq.head
        } else {
            self.recvq.head
        };
        if k == NIL {
            return None;
        }
        self.find_from(k, me, lazy_ok, senders)
    }

    /// [`Inner::find`] past the empty-queue check (kept out of line: the common case of
    /// no parked counterpart stays a load and a compare).
    #[inline(never)]
    fn find_from(
        &mut self,
        mut k: Key,
        me: Option<&Arc<SelectShared>>,
        lazy_ok: bool,
        senders: bool,
    ) -> Option<Key> {
        while k != NIL {
            let entry = self.entries.get_mut(k);
            let next = entry.next;
            let claim = match &entry.select {
                None => Claim::Won,
                Some(sel) if sel.is(me) || (senders && !lazy_ok) => Claim::Busy,
                Some(sel) => sel.shared.claim(sel.case, me),
            };
            match claim {
                Claim::Won => {
                    self.unlink(k);
                    return Some(k);
                }
                Claim::Busy => {}
                Claim::Stale => self.unlink(k),
            }
            k = next;
        }
        None
    }

    /// Invariants on entry and exit: recvq non-empty ⇒ buf empty; sendq non-empty ⇒
    /// buf.len() + reserved ≥ cap.
    fn try_send(&mut self, value: T, cap: usize, wakes: &mut Wakes) -> Result<(), TrySendError<T>> {
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

    fn try_recv(
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
            self.wake(s, wakes);
            let entry = self.entries.get_mut(s);
            return Ok(match entry.value.take() {
                // A plain sender (rendezvous): its value, and its send is done.
                Some(v) => Got::Value(v),
                // A select's send case, now chosen: its task produces the value.
                None => Got::Claimed(s),
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
    fn refill(&mut self, cap: usize, me: Option<&Arc<SelectShared>>, wakes: &mut Wakes) {
        while self.sendq.head != NIL && self.buf.len() + self.reserved < cap {
            let Some(s) = self.find_sender(me, true) else {
                return;
            };
            self.wake(s, wakes);
            match self.entries.get_mut(s).value.take() {
                Some(v) => self.buffer(v),
                None => self.reserve(s),
            }
        }
    }

    /// Hands `value` to the oldest parked receiver that can take it; `Err(value)` if none.
    fn hand_over(&mut self, value: T, wakes: &mut Wakes) -> Result<(), T> {
        let Some(r) = self.find_receiver(None) else {
            return Err(value);
        };
        self.entries.get_mut(r).value = Some(value);
        self.wake(r, wakes);
        Ok(())
    }

    /// A value sent into a reserved slot: to a receiver that parked since, else buffered.
    fn deliver(&mut self, value: T, wakes: &mut Wakes) {
        if let Err(value) = self.hand_over(value, wakes) {
            self.buffer(value);
        }
    }

    /// A sent value whose receiver is gone: to the next parked receiver, else to the
    /// front of the buffer (it was sent first), beyond the capacity if need be.
    fn give_back(&mut self, value: T, wakes: &mut Wakes) {
        if let Err(value) = self.hand_over(value, wakes) {
            self.buffer_front(value);
        }
    }

    /// The receive entry `r` waited for a value that will not come: it waits on, first in
    /// line; a select owning it polls anew.
    fn release_receiver(&mut self, r: Key, wakes: &mut Wakes) {
        let entry = self.entries.get_mut(r);
        entry.link = NIL;
        let select = entry.select.clone();
        self.bump();
        let mut q = self.recvq;
        q.push_front(&mut self.entries, r);
        self.recvq = q;
        match select {
            // `unclaim` wakes it.
            Some(sel) => sel.shared.unclaim(sel.case),
            None => self.wake(r, wakes),
        }
    }

    // ----- entries -----

    fn wake(&mut self, k: Key, wakes: &mut Wakes) {
        let entry = self.entries.get_mut(k);
        match &entry.select {
            Some(sel) => wakes.select(&sel.shared),
            None => {
                if let Some(waker) = entry.waker.take() {
                    wakes.task(waker);
                }
            }
        }
    }

    /// The receive future's own entry, created unqueued if it has none yet.
    fn own_entry(&mut self, key: &mut Option<Key>, cx: &Context<'_>) -> Key {
        match *key {
            Some(k) => {
                set_waker(&mut self.entries.get_mut(k).waker, cx);
                k
            }
            None => {
                let k = self.entries.insert(Entry::new(None, false, cx));
                *key = Some(k);
                k
            }
        }
    }

    /// A select case's own entry, created unqueued if it has none yet (the select's
    /// shared state is cloned into it then, and only then).
    fn own_select_entry(
        &mut self,
        key: &mut Option<Key>,
        send: bool,
        sel: Option<&Arc<SelectShared>>,
        case: usize,
    ) -> Key {
        match *key {
            Some(k) => k,
            None => {
                let k = self.entries.insert(Entry {
                    value: None,
                    waker: None,
                    select: sel.map(|sel| SelRef {
                        shared: Arc::clone(sel),
                        case,
                    }),
                    send,
                    link: NIL,
                    queued: false,
                    prev: NIL,
                    next: NIL,
                });
                *key = Some(k);
                k
            }
        }
    }

    /// Links a waiting receive entry `r` and the select send entry `s` owing it a value.
    fn link(&mut self, r: Key, s: Key) {
        self.recvq_unlink(r);
        self.sendq_unlink(s);
        self.entries.get_mut(r).link = s;
        self.entries.get_mut(s).link = r;
    }

    /// The select send entry `s` gets a buffer slot for its value.
    fn reserve(&mut self, s: Key) {
        self.sendq_unlink(s);
        self.reserved += 1;
        self.entries.get_mut(s).link = SLOT;
    }

    /// Frees the caller's own (unfilled) receive entry, if any.
    #[inline]
    fn free(&mut self, key: &mut Option<Key>) {
        if let Some(k) = key.take() {
            self.free_entry(k);
        }
    }

    fn free_entry(&mut self, k: Key) {
        let entry = self.entries.get_mut(k);
        debug_assert!(entry.value.is_none() && entry.link == NIL);
        self.unlink(k);
        self.entries.remove(k);
    }

    // ----- queues -----

    fn recvq_push(&mut self, k: Key) {
        self.bump();
        let mut q = self.recvq;
        q.push_back(&mut self.entries, k);
        self.recvq = q;
    }

    fn sendq_push(&mut self, k: Key) {
        self.bump();
        let mut q = self.sendq;
        q.push_back(&mut self.entries, k);
        self.sendq = q;
    }

    /// Unlinks `k` from whichever queue holds it, if any.
    fn unlink(&mut self, k: Key) {
        self.recvq_unlink(k);
        self.sendq_unlink(k);
    }

    fn recvq_unlink(&mut self, k: Key) {
        if !self.entries.get_mut(k).send {
            let mut q = self.recvq;
            q.unlink(&mut self.entries, k);
            self.recvq = q;
        }
    }

    fn sendq_unlink(&mut self, k: Key) {
        if self.entries.get_mut(k).send {
            let mut q = self.sendq;
            q.unlink(&mut self.entries, k);
            self.sendq = q;
        }
    }
}

impl<T> Entry<T> {
    fn new(value: Option<T>, send: bool, cx: &Context<'_>) -> Self {
        Entry {
            value,
            waker: Some(cx.waker().clone()),
            select: None,
            send,
            link: NIL,
            queued: false,
            prev: NIL,
            next: NIL,
        }
    }
}

/// A select commits to case `case` (nothing to do on its first pass, which has no state).
#[inline]
fn commit(sel: Option<&Arc<SelectShared>>, case: usize) {
    if let Some(sel) = sel {
        sel.commit(case);
    }
}

fn set_waker(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(waker) if waker.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}
