//! The set of a scope's local children: one allocation per child, the node, shared with the
//! child's handle; `run` polls the set in the scope's own task.
//!
//! # Design
//!
//! A local child is one `Arc`'d node: a header (`queued`, its index in the set), the
//! scope's ready queue (an `Arc`), the part its handle shares (the slot), and the child
//! itself (the future, its admission, a clone of the scope) in an `UnsafeCell`, with a
//! `live` flag. The handle holds the same `Arc`, seen as `dyn Shares<Slot<T, E>>`; the set holds
//! it as `dyn Polled`. That is what `FuturesUnordered` and tokio's `JoinSet` do (a task is
//! a refcounted cell that is its own waker and is pushed to a ready queue when woken),
//! with the result slot in the same allocation, and simpler: the ready queue is a
//! `VecDeque` of `Arc`s behind a lock, taken whole by the set at each pass (no intrusive
//! list), and the set's list of all its nodes is a `Vec` (each node knows its index).
//!
//! - Ownership: each node has exactly one `Owned`, made with it. Only the holder of the
//!   `Owned` polls the child or drops it (`Polled::poll`, `Polled::drop_child`); dropping
//!   the `Owned` drops the child, if still live (the handle is settled as cancelled
//!   first). The `Owned` waits in the scope's `pending` list, then lives in the set's
//!   `all` until the child finishes or the set is cleared or dropped. So the child is
//!   touched by one owner at a time, never concurrently (the owner is `&mut`), and is
//!   always dropped while the scope's `run` (or the scope, for a child never started)
//!   still exists — before `'env` ends, unless that owner is leaked, and then the child
//!   is leaked with it, never dropped late.
//! - Pinning: the child lives in its node's allocation from creation to drop, never moved:
//!   polled through `Pin::new_unchecked`, dropped in place (`ManuallyDrop::drop`, after
//!   `live` is cleared, so a panicking destructor is not run twice).
//! - Waking: the node's waker is the node (an `Arc` count: a raw waker whose vtable is per
//!   node type). A wake sets `queued`; the one that set it pushes a clone of the node to
//!   the ready queue and wakes `run`'s waker. The set clears `queued` (`swap`, acquiring
//!   what the waker wrote) before each poll of the child, so a wake during or after the
//!   poll queues it again. The ready queue is per scope and a scope is run once, so a node
//!   in a queue belongs to the one set polling that queue. An entry whose child is no
//!   longer live (finished, or dropped) is stale and skipped.
//! - Lifetimes: a node may outlive `'env` (its handle, a waker held elsewhere, a queue
//!   entry); after its child is dropped nothing in it borrows `'env` any more, and its
//!   own drop drops only the slot (what the handle's type `ScopedTask<T, E>` carries) and
//!   the queue, which the set closed and emptied when it was dropped (a later wake does
//!   not push). That is why the handle may hold the node as `dyn Shares<Slot<T, E>> + 'static`
//!   (a lifetime erased with `unsafe`): through it only the slot is reached.
//! - Fairness: the set polls at most as many children as it holds in one `poll` (and at
//!   least one), then, if some are still ready, wakes `run` and returns `Pending`, as
//!   `FuturesUnordered` does: a child that wakes itself cannot starve the body or the
//!   other children. A child woken while the set is polling waits for the next batch.
//!
//! # Loom
//!
//! Every atomic and lock of the set and its ready queue comes from `crate::loom`, and so
//! do the `live` and `child` cells; the `Arc`s stay std's even under loom: the set and the
//! handles hold the nodes as trait objects, `dyn Polled` and `dyn Shares`, which loom's
//! `Arc` cannot be coerced to (and the queue's `Arc` is the nodes' field). Their counts
//! are std's atomics, which loom does not interleave. The models (`local_set::loom`) run
//! this very set: a child woken from another thread while the set polls, two wakes of one
//! child at once, and a set dropped while a wake is under way.

use std::collections::VecDeque;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use crate::loom::{
    AtomicBool, AtomicUsize, AtomicWaker, Ordering, StdMutex, StdMutexGuard, UnsafeCell, lock,
    register,
};

/// What a node runs: a child, and the part of it its handle shares.
pub(super) trait Child<'env>: Send + Sized + 'env {
    /// The part the handle shares (it outlives the child).
    type Shared: Send + Sync + 'env;

    /// Polls the child; `Ready` once it has finished (the set then drops it).
    fn poll(self: Pin<&mut Self>, node: &Arc<Node<'env, Self>>, cx: &mut Context<'_>) -> Poll<()>;

    /// The child is being dropped unfinished (just before its destructor runs).
    fn abandon(shared: &Self::Shared);
}

/// A child's node: the child, what its handle shares, and the set's bookkeeping.
pub(super) struct Node<'env, C: Child<'env>> {
    header: Header,
    queue: Arc<Queue<'env>>,
    shared: C::Shared,
    /// Whether `child` holds a child not yet dropped. Only the node's owner touches it.
    live: UnsafeCell<bool>,
    /// Only the node's owner touches it, and only while `live`.
    child: UnsafeCell<ManuallyDrop<C>>,
}

// SAFETY: `child` and `live` are touched only by the node's owner (the holder of its one
// `Owned`), one thread at a time (the owner is `&mut`, and moves between threads only
// with the `Send` child); everything else is `Sync` (atomics, an `Arc` of a `Sync` queue,
// `C::Shared: Sync`).
unsafe impl<'env, C: Child<'env>> Sync for Node<'env, C> {}
// SAFETY: as for `Sync`; `C: Send` and `C::Shared: Send`.
unsafe impl<'env, C: Child<'env>> Send for Node<'env, C> {}

/// What the set needs of a node, whatever its child.
struct Header {
    /// In the ready queue (or about to be): a wake that finds it set does nothing.
    queued: AtomicBool,
    /// Its position in the set's `all`; only the set reads and writes it.
    index: AtomicUsize,
}

/// What a poll of a node found.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Pending,
    /// The child finished (and was dropped): take the node out of the set.
    Finished,
    /// A stale queue entry: the child was already gone.
    Stale,
}

/// A node, as the set and the ready queue see it.
trait Polled: Send + Sync {
    fn header(&self) -> &Header;

    /// The address of the ready queue the node's wakes go to.
    fn queue(&self) -> *const ();

    /// Polls the child with the node's own waker.
    ///
    /// # Safety
    ///
    /// Only the node's owner calls it, never concurrently with itself or `drop_child`.
    unsafe fn poll(self: Arc<Self>) -> Step;

    /// Drops the child if it is still live, settling the handle as cancelled first.
    ///
    /// # Safety
    ///
    /// As for `poll`.
    unsafe fn drop_child(&self);
}

impl<'env, C: Child<'env>> Node<'env, C> {
    const VTABLE: RawWakerVTable = RawWakerVTable::new(
        Self::waker_clone,
        Self::waker_wake,
        Self::waker_wake_by_ref,
        Self::waker_drop,
    );

    /// Queues the node for the set, unless it is queued already or the set is gone.
    fn wake_by_ref(self: &Arc<Self>) {
        if self.header.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        {
            let mut ready = self.queue.lock();
            if ready.closed {
                return;
            }
            ready
                .nodes
                .push_back(Arc::clone(self) as Arc<dyn Polled + 'env>);
        }
        self.queue.waker.wake();
    }

    // The raw waker's data is `Arc::as_ptr` of the node: one strong count per `Waker`
    // (none for the borrowed waker `poll` lends).

    unsafe fn waker_clone(data: *const ()) -> RawWaker {
        // SAFETY: `data` is `Arc::as_ptr` of a live `Node<C>` (a waker holds a count, or
        // `poll` holds the `Arc` while it lends one): one more count for the new waker.
        unsafe { Arc::increment_strong_count(data.cast::<Self>()) };
        RawWaker::new(data, &Self::VTABLE)
    }

    unsafe fn waker_wake(data: *const ()) {
        // SAFETY: an owned waker holds one count, which this takes over.
        let node = unsafe { Arc::from_raw(data.cast::<Self>()) };
        node.wake_by_ref();
    }

    unsafe fn waker_wake_by_ref(data: *const ()) {
        // SAFETY: the waker holds a count (or `poll` holds the `Arc`): the node is live;
        // `ManuallyDrop` leaves the count as it was.
        let node = ManuallyDrop::new(unsafe { Arc::from_raw(data.cast::<Self>()) });
        node.wake_by_ref();
    }

    unsafe fn waker_drop(data: *const ()) {
        // SAFETY: an owned waker holds one count, given back here.
        unsafe { Arc::decrement_strong_count(data.cast::<Self>()) };
    }
}

impl<'env, C: Child<'env>> Polled for Node<'env, C> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn queue(&self) -> *const () {
        Arc::as_ptr(&self.queue).cast()
    }

    unsafe fn poll(self: Arc<Self>) -> Step {
        // Acquires what a waker wrote before it queued the node; a wake from now on queues
        // it again.
        self.header.queued.swap(false, Ordering::AcqRel);
        // SAFETY: only the owner calls `poll` (the caller's contract).
        if !unsafe { self.is_live() } {
            return Step::Stale;
        }
        // SAFETY: `self` (an `Arc`) keeps the node alive for the whole poll; the waker is
        // borrowed (`ManuallyDrop`: no count of its own), and its clones take counts.
        let waker = ManuallyDrop::new(unsafe {
            Waker::from_raw(RawWaker::new(Arc::as_ptr(&self).cast(), &Self::VTABLE))
        });
        let mut cx = Context::from_waker(&waker);
        let polled = self.child.with_mut(|child| {
            // SAFETY: the child is live (checked above) and only the owner touches it (no
            // other reference to it exists during this call); it lives in the node's
            // allocation and is never moved, only dropped in place (`drop_in_place`
            // below, or `Polled::drop_child`): the pinning guarantee holds.
            let child = unsafe { Pin::new_unchecked(&mut **child) };
            child.poll(&self, &mut cx)
        });
        if polled.is_pending() {
            return Step::Pending;
        }
        // SAFETY: as above; the child finished: drop it in place now, so that what it
        // borrows is released while the scope runs.
        unsafe { self.drop_in_place() };
        Step::Finished
    }

    unsafe fn drop_child(&self) {
        // SAFETY: only the owner calls it (the caller's contract).
        if unsafe { self.is_live() } {
            C::abandon(&self.shared);
            // SAFETY: as above.
            unsafe { self.drop_in_place() };
        }
    }
}

impl<'env, C: Child<'env>> Node<'env, C> {
    /// Whether the child is still there.
    ///
    /// # Safety
    ///
    /// Only the owner calls it (as `poll` and `drop_child` do): nothing else reads or
    /// writes `live` meanwhile.
    unsafe fn is_live(&self) -> bool {
        // SAFETY: the owner alone touches `live` (the caller's contract).
        self.live.with_mut(|live| unsafe { *live })
    }

    /// Drops the live child in place.
    ///
    /// # Safety
    ///
    /// The owner calls it, once the child is live and no reference to it is held.
    unsafe fn drop_in_place(&self) {
        // SAFETY: the owner alone touches `live` and `child` (the caller's contract).
        // `live` is cleared first: if the child's destructor panics, it is not run again.
        self.live.with_mut(|live| unsafe { *live = false });
        // SAFETY: as above; the child is live (the caller's contract) and pinned in place.
        self.child
            .with_mut(|child| unsafe { ManuallyDrop::drop(&mut *child) });
    }
}

/// The part of a child its handle shares (`S`), reached through the node (a local child)
/// or on its own (a `Slot` of a `'static` or watched child).
pub(super) trait Shares<S>: Send + Sync {
    fn shared(&self) -> &S;
}

impl<'env, C: Child<'env>> Shares<C::Shared> for Node<'env, C> {
    fn shared(&self) -> &C::Shared {
        &self.shared
    }
}

/// A node as its handle holds it: only the shared part is reachable, and `'env` is erased
/// (a handle has no lifetime parameter, and may outlive `'env`).
pub(super) fn handle<'env, C: Child<'env>>(node: Arc<Node<'env, C>>) -> Arc<dyn Shares<C::Shared>> {
    let node: Arc<dyn Shares<C::Shared> + 'env> = node;
    // SAFETY: the same fat pointer, with a longer lifetime bound on the object. What may
    // end with `'env` is the child's borrows, and through `dyn Shares` nothing reaches the
    // child: `shared` returns the shared part, whose type (and its own lifetimes) the
    // handle's type carries and the borrow checker sees. The node's destructor, which may
    // run after `'env` through this `Arc`, does not drop the child (`ManuallyDrop`: its
    // owner dropped it before, while `'env` lasted, or leaked it); it drops the shared
    // part and the queue, whose set emptied and closed it when it was dropped (a set that
    // is leaked keeps its queue alive: it is not dropped either).
    unsafe {
        std::mem::transmute::<Arc<dyn Shares<C::Shared> + 'env>, Arc<dyn Shares<C::Shared>>>(node)
    }
}

/// The ready queue: the nodes woken since the set last looked, and the set's waker.
pub(super) struct Queue<'env> {
    ready: StdMutex<Ready<'env>>,
    /// `run`'s waker.
    waker: AtomicWaker,
}

// A panic cannot leave the queue half-updated (pushes and takes are whole, under the lock,
// and run no user code there; `AtomicWaker` keeps its own state consistent): without this,
// its `AtomicWaker`'s `UnsafeCell` would make `Scope` lose `UnwindSafe`, which it had.
impl std::panic::RefUnwindSafe for Queue<'_> {}

struct Ready<'env> {
    nodes: VecDeque<Arc<dyn Polled + 'env>>,
    /// The set is gone: no more pushes.
    closed: bool,
}

impl<'env> Queue<'env> {
    /// A scope's ready queue (one set polls it: a scope is run once).
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Queue {
            ready: StdMutex::new(Ready {
                nodes: VecDeque::new(),
                closed: false,
            }),
            waker: AtomicWaker::new(),
        })
    }

    fn lock(&self) -> StdMutexGuard<'_, Ready<'env>> {
        // No user code runs under this lock.
        lock(&self.ready)
    }

    /// A new node for `child`, queued on this queue, and its one `Owned`.
    pub(super) fn node<C: Child<'env>>(
        self: &Arc<Self>,
        child: C,
        shared: C::Shared,
    ) -> (Owned<'env>, Arc<Node<'env, C>>) {
        let node = Arc::new(Node {
            header: Header {
                queued: AtomicBool::new(false),
                index: AtomicUsize::new(usize::MAX),
            },
            queue: Arc::clone(self),
            shared,
            live: UnsafeCell::new(true),
            child: UnsafeCell::new(ManuallyDrop::new(child)),
        });
        (Owned(Arc::clone(&node) as Arc<dyn Polled + 'env>), node)
    }
}

/// The right to poll and drop a node's child: one per node; dropping it drops the child.
pub(super) struct Owned<'env>(Arc<dyn Polled + 'env>);

impl Drop for Owned<'_> {
    fn drop(&mut self) {
        // SAFETY: this is the node's one `Owned`; `&mut self` excludes any poll through it.
        unsafe { self.0.drop_child() };
    }
}

/// The set: the children a scope polls in its own task.
pub(super) struct LocalSet<'env> {
    queue: Arc<Queue<'env>>,
    /// Every child not yet finished (each node knows its index).
    all: Vec<Owned<'env>>,
    /// The nodes this pass polls (taken whole from the ready queue).
    batch: VecDeque<Arc<dyn Polled + 'env>>,
}

impl<'env> LocalSet<'env> {
    /// The set polling `queue`, the queue of the nodes it will hold.
    pub(super) fn new(queue: Arc<Queue<'env>>) -> Self {
        LocalSet {
            queue,
            all: Vec::new(),
            batch: VecDeque::new(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// Adds a node (made by this set's queue) to be polled at the next pass.
    pub(super) fn insert(&mut self, owned: Owned<'env>) {
        // Its wakes must come to this set's queue: only this set polls what is there.
        assert!(
            std::ptr::eq(owned.0.queue(), Arc::as_ptr(&self.queue).cast()),
            "a node belongs to the set of its own queue"
        );
        let node = Arc::clone(&owned.0);
        node.header().index.store(self.all.len(), Ordering::Relaxed);
        node.header().queued.store(true, Ordering::Release);
        self.all.push(owned);
        self.batch.push_back(node);
    }

    /// Polls the ready children; `Ready` once the set is empty. Yields (wakes `cx` and
    /// returns `Pending`) after as many polls as it has children.
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        register(&self.queue.waker, cx.waker());
        let budget = self.all.len().max(1);
        let mut polled = 0;
        loop {
            if self.batch.is_empty() {
                let mut ready = self.queue.lock();
                std::mem::swap(&mut self.batch, &mut ready.nodes);
            }
            let Some(node) = self.batch.pop_front() else {
                break;
            };
            // Read before the poll (which takes the entry); the poll does not move it.
            let index = node.header().index.load(Ordering::Relaxed);
            // SAFETY: the node is in this set's queue (every node inserted was checked to
            // wake to it), so its `Owned` is in this set's `all` (or its child is gone: a
            // stale entry), and the set is `&mut`.
            if unsafe { node.poll() } == Step::Finished {
                let finished = self.all.swap_remove(index);
                if let Some(moved) = self.all.get(index) {
                    moved.0.header().index.store(index, Ordering::Relaxed);
                }
                // Its child is already dropped: this drops only the `Owned`.
                drop(finished);
            }
            polled += 1;
            if polled == budget {
                // Yield to the runtime, to the body and to the rest of the task, if
                // children are still ready.
                if !self.batch.is_empty() || !self.queue.lock().nodes.is_empty() {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                break;
            }
        }
        if self.all.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Drops every child (each settles its handle as cancelled).
    pub(super) fn clear(&mut self) {
        self.batch.clear();
        // A child's destructor may wake another node: that entry is stale, and skipped.
        self.all.clear();
    }
}

impl Drop for LocalSet<'_> {
    fn drop(&mut self) {
        self.clear();
        // Close the queue: no node is pushed from now on, and the ones there (stale) go,
        // so nothing is left there to outlive `'env`.
        let stale = {
            let mut ready = self.queue.lock();
            ready.closed = true;
            std::mem::take(&mut ready.nodes)
        };
        drop(stale);
    }
}

#[cfg(test)]
mod test_child;

#[cfg(all(test, not(goscope_loom)))]
mod tests;

#[cfg(all(test, goscope_loom))]
mod loom;
