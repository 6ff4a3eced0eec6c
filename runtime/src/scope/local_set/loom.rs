//! Loom models of the set's ready queue and wake-ups, run by `.ci/run`:
//! `LOOM_MAX_PREEMPTIONS=5 RUSTFLAGS="--cfg goscope_loom" cargo test -p goscope --lib
//! --release loom`.
//!
//! They run this very set — its nodes, their raw wakers, the `queued` flag, the ready
//! queue's lock and the set's `AtomicWaker` (loom's), the `live` and `child` cells (loom's,
//! which check that only one thread touches them) — with a child woken from another loom
//! thread. What loom does not see: the nodes' and the queue's `Arc` counts (std's; see the
//! module docs), so a node freed too early would be a use-after-free loom cannot report;
//! Miri covers that, single-threaded, in `local_set::tests`.

use std::future::Future;

use ::loom::future::block_on;
use ::loom::sync::Arc as LoomArc;
use ::loom::thread;

use super::*;
use crate::loom::{AtomicBool, AtomicUsize, Ordering, StdMutex, lock};

/// What a model child's handle sees.
#[derive(Default)]
struct Shared {
    result: StdMutex<Option<u32>>,
    abandoned: AtomicBool,
}

pin_project_lite::pin_project! {
    struct ModelChild<F> {
        #[pin]
        fut: F,
    }
}

impl<'env, F: Future<Output = u32> + Send + 'env> Child<'env> for ModelChild<F> {
    type Shared = Shared;

    fn poll(self: Pin<&mut Self>, node: &Arc<Node<'env, Self>>, cx: &mut Context<'_>) -> Poll<()> {
        let value = std::task::ready!(self.project().fut.poll(cx));
        *lock(&node.shared().result) = Some(value);
        Poll::Ready(())
    }

    fn abandon(shared: &Shared) {
        shared.abandoned.store(true, Ordering::SeqCst);
    }
}

/// Pending until another thread opens it; counts the child's polls and its drop.
#[derive(Default)]
struct Gate {
    open: AtomicBool,
    waker: StdMutex<Option<Waker>>,
    polls: AtomicUsize,
    dropped: AtomicUsize,
}

/// The child: ready with 7 once the gate is open.
fn child(gate: &LoomArc<Gate>) -> impl Future<Output = u32> + Send + 'static {
    struct Drops(LoomArc<Gate>);
    impl Drop for Drops {
        fn drop(&mut self) {
            self.0.dropped.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Drops(LoomArc::clone(gate));
    std::future::poll_fn(move |cx| {
        let gate = &drops.0;
        gate.polls.fetch_add(1, Ordering::SeqCst);
        if gate.open.load(Ordering::SeqCst) {
            return Poll::Ready(7);
        }
        *lock(&gate.waker) = Some(cx.waker().clone());
        if gate.open.load(Ordering::SeqCst) {
            Poll::Ready(7)
        } else {
            Poll::Pending
        }
    })
}

impl Gate {
    /// Opens the gate and wakes the child (by value: the node's count goes with it).
    fn open(&self) {
        self.open.store(true, Ordering::SeqCst);
        let waker = lock(&self.waker).take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A child woken from another thread — before, while or after the set polls it — is
/// polled again and finishes: the wake is never lost (`block_on` would deadlock, which
/// loom reports), and the set ends empty.
#[test]
fn loom_a_child_woken_from_another_thread_is_polled_again() {
    ::loom::model(|| {
        let gate = LoomArc::new(Gate::default());
        let queue = Queue::new();
        let mut set = LocalSet::new(Arc::clone(&queue));
        let (owned, node) = queue.node(ModelChild { fut: child(&gate) }, Shared::default());
        set.insert(owned);
        let opener = {
            let gate = LoomArc::clone(&gate);
            thread::spawn(move || gate.open())
        };
        block_on(std::future::poll_fn(|cx| set.poll(cx)));
        opener.join().unwrap();
        assert_eq!(*lock(&node.shared().result), Some(7));
        assert!(set.is_empty());
        assert_eq!(
            gate.dropped.load(Ordering::SeqCst),
            1,
            "dropped once it finished"
        );
        assert!(!node.shared().abandoned.load(Ordering::SeqCst));
    });
}

/// The set is dropped while another thread wakes its pending child: the child is dropped
/// once (settled as abandoned), never polled after, and a wake after the drop queues
/// nothing (the queue is closed and empty, so nothing in it outlives the set).
#[test]
fn loom_a_set_dropped_while_its_child_is_woken() {
    ::loom::model(|| {
        let gate = LoomArc::new(Gate::default());
        let queue = Queue::new();
        let mut set = LocalSet::new(Arc::clone(&queue));
        let (owned, node) = queue.node(ModelChild { fut: child(&gate) }, Shared::default());
        set.insert(owned);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(set.poll(&mut cx).is_pending(), "the gate is shut");
        let opener = {
            let gate = LoomArc::clone(&gate);
            thread::spawn(move || gate.open())
        };
        drop(set);
        let polls = gate.polls.load(Ordering::SeqCst);
        opener.join().unwrap();
        assert_eq!(
            gate.polls.load(Ordering::SeqCst),
            polls,
            "never polled after the drop"
        );
        assert_eq!(
            gate.dropped.load(Ordering::SeqCst),
            1,
            "dropped exactly once"
        );
        assert!(node.shared().abandoned.load(Ordering::SeqCst));
        assert_eq!(*lock(&node.shared().result), None);
        let ready = queue.lock();
        assert!(
            ready.closed && ready.nodes.is_empty(),
            "nothing queued after the drop"
        );
    });
}

/// Two threads wake the same pending child at once, while the set polls: the child is
/// polled again and finishes, and it is in the ready queue at most once (`queued`: the
/// wake that sets it pushes, the other does nothing), so at the end at most one stale
/// entry is left for the set to skip.
#[test]
fn loom_two_wakes_at_once_queue_a_child_once() {
    ::loom::model(|| {
        let gate = LoomArc::new(Gate::default());
        let queue = Queue::new();
        let mut set = LocalSet::new(Arc::clone(&queue));
        let (owned, node) = queue.node(ModelChild { fut: child(&gate) }, Shared::default());
        set.insert(owned);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(set.poll(&mut cx).is_pending(), "the gate is shut");
        let waker = lock(&gate.waker).take().expect("the child left its waker");
        gate.open.store(true, Ordering::SeqCst);
        let wakers: Vec<_> = [waker.clone(), waker]
            .into_iter()
            .map(|waker| thread::spawn(move || waker.wake()))
            .collect();
        block_on(std::future::poll_fn(|cx| set.poll(cx)));
        for waker in wakers {
            waker.join().unwrap();
        }
        assert_eq!(*lock(&node.shared().result), Some(7));
        assert!(queue.lock().nodes.len() <= 1, "queued at most once");
    });
}
