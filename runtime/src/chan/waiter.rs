//! A parked channel operation, living inside its pinned future, and the intrusive FIFO
//! queues of them.
//!
//! # Design
//!
//! A [`Waiter`] is a field of the operation that may park: a `SendFuture`, a
//! `RecvFuture`, a select's channel case, the `Receiver` used as a `Stream` (boxed once
//! there, since a `Receiver` moves). The future is `!Unpin`, so once it is polled the
//! waiter stays at one address until it is dropped — Pin's drop guarantee — and the
//! channel's queues link waiters by pointer: parking allocates nothing. This is how
//! Tokio's `Notify` and semaphore waiter lists and kanal's signals work; what is ours is
//! the one state word below and what each side may touch in each state.
//!
//! A waiter's `state` is one atomic:
//!
//! - [`NEW`]: never used. Its cells are not even initialised: a send or receive that
//!   completes on its first poll (the common case) writes one word for its waiter, and its
//!   drop reads one. The owner's first access to a cell initialises both (`IDLE`).
//! - [`IDLE`]: nobody but its owner knows it. The owner reads and writes every field.
//! - [`WAITING`]: it is shared — linked in a channel queue, or linked to a select's send
//!   case that owes it a value (a *partner*). Its fields (`links`, `slot`) are touched
//!   only under the channel lock, by the owner and by counterparts alike.
//! - [`DONE`]: a counterpart completed it — took the parked send's value, or put a value
//!   into the parked receive — and unlinked it: no pointer to it remains. The owner again
//!   owns every field and reads them **without the lock**.
//!
//! Transitions: the owner moves `NEW → IDLE` alone (initialising the cells),
//! `IDLE → WAITING` and `WAITING → IDLE` under the lock; a
//! counterpart moves `WAITING → DONE` under the lock, as its very last access to the
//! waiter (its waker is taken out first), with `Release`; the owner sees `DONE` with
//! `Acquire` and then owns what the counterpart wrote; it moves `DONE → IDLE` alone.
//!
//! ## Invariants
//!
//! 1. A queue or partner pointer to a waiter exists only while it is `WAITING`.
//! 2. Only the lock holder dereferences such a pointer; the owner unlinks its waiter
//!    (under the lock) before the waiter's memory goes away: a future's `Drop` does it.
//!    So no pointer outlives its waiter.
//! 3. A counterpart's store of `DONE` is its last access: afterwards the owner may drop
//!    the waiter at any moment, lock or not.
//! 4. `links.queued` says whether the waiter is in a queue; a waiter is in at most one.
//!
//! The re-poll of a completed operation is then one `Acquire` load and no lock, where a
//! slab entry under the lock (the design this replaced) took the lock again.

use std::marker::PhantomPinned;
use std::mem::MaybeUninit;
use std::ptr::NonNull;
use std::task::{Context, Waker};

use super::buffer::Reserved;
use crate::loom::{Arc, AtomicUsize, Ordering, UnsafeCell};
use crate::select::shared::SelectShared;

/// Never used: the cells are uninitialised.
pub(crate) const NEW: usize = 0;
/// Known only to its owner.
pub(crate) const IDLE: usize = 1;
/// Shared with the channel: fields under the lock.
pub(crate) const WAITING: usize = 2;
/// Completed by a counterpart, unlinked: the owner's again, without the lock.
pub(crate) const DONE: usize = 3;

/// A pointer to a waiter, as queues and partners hold it.
pub(crate) type WaiterRef<T> = NonNull<Waiter<T>>;

/// One parked operation. See the module docs.
pub(crate) struct Waiter<T> {
    state: AtomicUsize,
    /// A send (in `sendq`), not a receive (in `recvq`).
    send: bool,
    /// A select case's, completed only through its select's state; else a plain
    /// operation's, which a counterpart completes at once.
    select: bool,
    /// Initialised on leaving `NEW`.
    links: UnsafeCell<MaybeUninit<Links<T>>>,
    /// Initialised on leaving `NEW`.
    slot: UnsafeCell<MaybeUninit<Slot<T>>>,
    _pinned: PhantomPinned,
}

// SAFETY: a waiter is shared between threads only through the channel's queues and
// partner links, and every access to its cells then happens under the channel lock or
// after the `DONE` hand-back (module docs): the cells are never accessed concurrently.
// Values of `T` and the waker move between threads: `T: Send` (a `Waker` is `Send + Sync`).
unsafe impl<T: Send> Send for Waiter<T> {}
// SAFETY: as above: `&Waiter` gives access to the cells only under that protocol.
unsafe impl<T: Send> Sync for Waiter<T> {}

/// The queue links: under the lock while `WAITING`.
struct Links<T> {
    prev: Option<WaiterRef<T>>,
    next: Option<WaiterRef<T>>,
    queued: bool,
}

/// What a waiter holds: under the lock while `WAITING`. Each half is one enum of the
/// exclusive states it can be in, so a waiter stays small (a future moves it on every
/// `.await`).
pub(crate) struct Slot<T> {
    held: Held<T>,
    wake: Wake,
}

/// What a waiter holds for the value.
enum Held<T> {
    Empty,
    /// A parked send's value until a receiver takes it; a parked receive's value once a
    /// sender hands it over.
    Value(T),
    /// A select send case and the receive waiting for its value point at each other.
    Partner(WaiterRef<T>),
    /// A select send case holds a reserved buffer slot for its value.
    Slot(Reserved),
}

/// How a waiter's owner is woken.
enum Wake {
    None,
    /// A plain operation's task.
    Task(Waker),
    /// A select case: through its select's shared state, set when the case first parks.
    Select(SelRef),
}

/// What a committed select send case delivers into, or what a receive waits on.
pub(crate) enum Link<T> {
    None,
    /// A select send case holds a reserved buffer slot for its value.
    Slot(Reserved),
    /// A select send case and the receive waiting for its value point at each other.
    Partner(WaiterRef<T>),
}

impl<T> Slot<T> {
    const EMPTY: Slot<T> = Slot {
        held: Held::Empty,
        wake: Wake::None,
    };

    /// Takes the value held, if any.
    #[inline]
    pub(crate) fn take_value(&mut self) -> Option<T> {
        match std::mem::replace(&mut self.held, Held::Empty) {
            Held::Value(v) => Some(v),
            other => {
                self.held = other;
                None
            }
        }
    }

    /// Holds `value` (replacing a partner link: the partner delivered it).
    #[inline]
    pub(crate) fn put_value(&mut self, value: T) {
        debug_assert!(!matches!(self.held, Held::Value(_)));
        self.held = Held::Value(value);
    }

    /// Whether it holds no value and no link.
    pub(crate) fn is_empty(&self) -> bool {
        matches!(self.held, Held::Empty)
    }

    /// Whether it holds a lazy-send link (a partner or a reserved slot).
    #[inline]
    pub(crate) fn is_linked(&self) -> bool {
        matches!(self.held, Held::Partner(_) | Held::Slot(_))
    }

    /// Sets the lazy-send link (`Link::None` clears one).
    pub(crate) fn set_link(&mut self, link: Link<T>) {
        debug_assert!(!matches!(self.held, Held::Value(_)));
        self.held = match link {
            Link::None => Held::Empty,
            Link::Slot(r) => Held::Slot(r),
            Link::Partner(p) => Held::Partner(p),
        };
    }

    /// Takes the lazy-send link, if any, leaving none.
    pub(crate) fn take_link(&mut self) -> Link<T> {
        match std::mem::replace(&mut self.held, Held::Empty) {
            Held::Partner(p) => Link::Partner(p),
            Held::Slot(r) => Link::Slot(r),
            other => {
                self.held = other;
                Link::None
            }
        }
    }

    /// A plain operation's task waker: set to the task's, cloned only if it changed.
    #[inline]
    pub(crate) fn set_waker(&mut self, cx: &Context<'_>) {
        match &self.wake {
            Wake::Task(waker) if waker.will_wake(cx.waker()) => {}
            _ => self.wake = Wake::Task(cx.waker().clone()),
        }
    }

    /// Takes a plain operation's waker out, to wake it.
    #[inline]
    pub(crate) fn take_waker(&mut self) -> Option<Waker> {
        match std::mem::replace(&mut self.wake, Wake::None) {
            Wake::Task(waker) => Some(waker),
            other => {
                self.wake = other;
                None
            }
        }
    }

    /// A select case's select, if it has parked or committed.
    #[inline]
    pub(crate) fn select(&self) -> Option<&SelRef> {
        match &self.wake {
            Wake::Select(sel) => Some(sel),
            _ => None,
        }
    }

    /// A select case learns its select (once).
    pub(crate) fn set_select(&mut self, sel: SelRef) {
        if self.select().is_none() {
            self.wake = Wake::Select(sel);
        }
    }
}

/// A select case's shared state, as its waiters hold it.
#[derive(Clone)]
pub(crate) struct SelRef {
    pub(crate) shared: Arc<SelectShared>,
    pub(crate) case: usize,
}

impl SelRef {
    pub(crate) fn is(&self, me: Option<&Arc<SelectShared>>) -> bool {
        me.is_some_and(|me| Arc::ptr_eq(&self.shared, me))
    }
}

impl<T> Waiter<T> {
    /// A plain operation's waiter, for a send (`send`) or a receive: `NEW`, nothing else
    /// written.
    #[inline]
    pub(crate) fn new(send: bool) -> Self {
        Self::with_kind(send, false)
    }

    /// A select case's waiter.
    pub(crate) fn for_select(send: bool) -> Self {
        Self::with_kind(send, true)
    }

    #[inline]
    fn with_kind(send: bool, select: bool) -> Self {
        Waiter {
            state: AtomicUsize::new(NEW),
            send,
            select,
            links: UnsafeCell::new(MaybeUninit::uninit()),
            slot: UnsafeCell::new(MaybeUninit::uninit()),
            _pinned: PhantomPinned,
        }
    }

    /// Initialises the cells of a `NEW` waiter (`IDLE`); nothing otherwise.
    ///
    /// # Safety
    ///
    /// As for [`Waiter::with`]; a `NEW` waiter is its owner's alone.
    #[inline]
    unsafe fn ready(&self) {
        // SAFETY: the caller's contract: under the lock (where every store to a shared
        // waiter's state happens) or the owner of an unshared waiter (which nobody else
        // stores to), so no store races this load.
        if unsafe { self.state_unsync() } != NEW {
            return;
        }
        // SAFETY: a NEW waiter is known to its owner only (no pointer to it exists), and
        // the caller is its owner: nothing else accesses the cells.
        unsafe {
            self.links.with_mut(|links| {
                (*links).write(Links {
                    prev: None,
                    next: None,
                    queued: false,
                });
            });
            self.slot.with_mut(|slot| {
                (*slot).write(Slot::EMPTY);
            });
        }
        // Relaxed: the cells are published with the lock (or its Release) when shared.
        self.state.store(IDLE, Ordering::Relaxed);
    }

    /// The state, read where no store can race the read (loom then need not explore it
    /// as a scheduling point; std's build is a `Relaxed` load either way).
    ///
    /// # Safety
    ///
    /// No other thread stores to the state concurrently.
    #[inline]
    unsafe fn state_unsync(&self) -> usize {
        #[cfg(goscope_loom)]
        // SAFETY: the caller's contract.
        return unsafe { self.state.unsync_load() };
        #[cfg(not(goscope_loom))]
        return self.state.load(Ordering::Relaxed);
    }

    /// A send's waiter, not a receive's.
    #[inline]
    pub(crate) fn is_send(&self) -> bool {
        self.send
    }

    /// A plain operation's (not a select case's).
    #[inline]
    pub(crate) fn is_plain(&self) -> bool {
        !self.select
    }

    /// Its owner's alone (`NEW` or `IDLE`).
    #[inline]
    pub(crate) fn is_free(&self) -> bool {
        self.state() <= IDLE
    }

    /// Completed by a counterpart (`DONE`): the owner takes it back.
    #[inline]
    pub(crate) fn is_done(&self) -> bool {
        self.state() == DONE
    }

    /// Never used (no cell to look at).
    #[inline]
    pub(crate) fn is_new(&self) -> bool {
        self.state() == NEW
    }

    /// This waiter's address, for queues and partners.
    pub(crate) fn ptr(&self) -> WaiterRef<T> {
        NonNull::from(self)
    }

    /// The state (`Acquire`: on `DONE` the counterpart's writes are visible).
    #[inline]
    pub(crate) fn state(&self) -> usize {
        self.state.load(Ordering::Acquire)
    }

    /// The owner, under the lock (or alone when leaving `DONE`), sets the state.
    #[inline]
    pub(crate) fn set_state(&self, state: usize) {
        debug_assert!(
            self.state.load(Ordering::Relaxed) != NEW,
            "a waiter's cells are initialised before its state moves"
        );
        self.state.store(state, Ordering::Release);
    }

    /// Runs `f` on the slot.
    ///
    /// # Safety
    ///
    /// The caller holds the channel lock, or the waiter is not `WAITING` and the caller
    /// is its owner (module docs, "state").
    #[inline]
    pub(crate) unsafe fn with<R>(&self, f: impl FnOnce(&mut Slot<T>) -> R) -> R {
        // SAFETY: the caller's contract; `ready` initialises the cells of a NEW waiter
        // (only its owner can see one).
        unsafe { self.ready() };
        // SAFETY: the caller has exclusive access to the slot by the state protocol: the
        // lock serialises every access while WAITING, the owner is alone otherwise; the
        // slot is initialised (`ready`).
        self.slot
            .with_mut(|slot| f(unsafe { (*slot).assume_init_mut() }))
    }

    /// The links, initialised.
    ///
    /// # Safety
    ///
    /// As for [`Waiter::with`].
    #[inline]
    unsafe fn links<R>(&self, f: impl FnOnce(&mut Links<T>) -> R) -> R {
        // SAFETY: as for `with`.
        unsafe { self.ready() };
        // SAFETY: as for `with`.
        self.links
            .with_mut(|links| f(unsafe { (*links).assume_init_mut() }))
    }

    /// Whether the waiter is in a queue.
    ///
    /// # Safety
    ///
    /// As for [`Waiter::with`].
    pub(crate) unsafe fn queued(&self) -> bool {
        // SAFETY: as for `with`: the links are accessed under the lock or by the owner alone.
        unsafe { self.links(|links| links.queued) }
    }
}

impl<T> Drop for Waiter<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no other thread can store to the state.
        if unsafe { self.state_unsync() } != NEW {
            // SAFETY: `&mut self`: no one else can reach the waiter (its owner unlinked it
            // before; invariant 2), and a waiter past NEW has an initialised slot.
            self.slot
                .with_mut(|slot| unsafe { (*slot).assume_init_drop() });
        }
    }
}

/// A FIFO of waiters linked through their `links`: O(1) push, pop and unlink.
///
/// Every method is `unsafe` with one contract: the caller holds the lock of the channel
/// whose queue this is, and every waiter passed in or linked is alive (invariant 2).
pub(crate) struct Queue<T> {
    head: Option<WaiterRef<T>>,
    tail: Option<WaiterRef<T>>,
}

// SAFETY: the queue's pointers are dereferenced only under the channel lock that guards
// it (the `Queue` contract), so moving it to another thread, inside that lock's data,
// moves no unguarded access.
unsafe impl<T: Send> Send for Queue<T> {}

impl<T> Queue<T> {
    pub(crate) const fn new() -> Self {
        Queue {
            head: None,
            tail: None,
        }
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    #[inline]
    pub(crate) fn head(&self) -> Option<WaiterRef<T>> {
        self.head
    }

    /// The waiter after `w` in its queue.
    ///
    /// # Safety
    ///
    /// The queue contract; `w` is in this queue.
    pub(crate) unsafe fn next(w: WaiterRef<T>) -> Option<WaiterRef<T>> {
        // SAFETY: under the lock, `w` is alive (contract).
        unsafe { w.as_ref().links(|links| links.next) }
    }

    /// Appends `w`.
    ///
    /// # Safety
    ///
    /// The queue contract; `w` is in no queue.
    pub(crate) unsafe fn push_back(&mut self, w: WaiterRef<T>) {
        let tail = self.tail;
        // SAFETY: contract: `w` and the tail are alive, and the lock is held.
        unsafe {
            w.as_ref().links(|links| {
                debug_assert!(!links.queued, "a waiter is in one queue at a time");
                *links = Links {
                    prev: tail,
                    next: None,
                    queued: true,
                };
            });
            match tail {
                Some(t) => t.as_ref().links(|links| links.next = Some(w)),
                None => self.head = Some(w),
            }
        }
        self.tail = Some(w);
    }

    /// Puts `w` first.
    ///
    /// # Safety
    ///
    /// The queue contract; `w` is in no queue.
    pub(crate) unsafe fn push_front(&mut self, w: WaiterRef<T>) {
        let head = self.head;
        // SAFETY: contract: `w` and the head are alive, and the lock is held.
        unsafe {
            w.as_ref().links(|links| {
                debug_assert!(!links.queued, "a waiter is in one queue at a time");
                *links = Links {
                    prev: None,
                    next: head,
                    queued: true,
                };
            });
            match head {
                Some(h) => h.as_ref().links(|links| links.prev = Some(w)),
                None => self.tail = Some(w),
            }
        }
        self.head = Some(w);
    }

    /// Unlinks the head, which the caller has looked at.
    ///
    /// # Safety
    ///
    /// The queue contract; the queue is not empty.
    #[inline]
    pub(crate) unsafe fn pop_front(&mut self) -> WaiterRef<T> {
        let head = self.head.expect("pop_front on a non-empty queue");
        // SAFETY: contract: the head and its successor are alive, and the lock is held.
        unsafe {
            let next = head.as_ref().links(|links| {
                links.queued = false;
                links.next.take()
            });
            match next {
                Some(n) => n.as_ref().links(|links| links.prev = None),
                None => self.tail = None,
            }
            self.head = next;
        }
        head
    }

    /// Unlinks `w` if it is queued (in this queue: a waiter's `send` says which).
    ///
    /// # Safety
    ///
    /// The queue contract; if `w` is queued, it is in this queue.
    pub(crate) unsafe fn unlink(&mut self, w: WaiterRef<T>) {
        // SAFETY: contract: `w` and its neighbours are alive, and the lock is held.
        unsafe {
            let taken = w.as_ref().links(|links| {
                let queued = std::mem::replace(&mut links.queued, false);
                queued.then(|| (links.prev.take(), links.next.take()))
            });
            let Some((prev, next)) = taken else { return };
            match prev {
                Some(p) => p.as_ref().links(|links| links.next = next),
                None => self.head = next,
            }
            match next {
                Some(n) => n.as_ref().links(|links| links.prev = prev),
                None => self.tail = prev,
            }
        }
    }
}
