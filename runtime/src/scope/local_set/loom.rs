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

use super::test_child::{Shared, TestChild, result, spawn};
use super::*;
use crate::loom::{AtomicBool, AtomicUsize, Ordering, StdMutex, lock};

/// Pending until another thread opens it; counts the child's polls and its drop.
#[derive(Default)]
struct Gate {
    open: AtomicBool,
    waker: StdMutex<Option<Waker>>,
    polls: AtomicUsize,
    dropped: AtomicUsize,
}

/// The child: ready with 7 once the gate is open.
fn child(gate: &LoomArc<Gate>) -> impl Future<Output = u32> + Send + use<> {
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

/// The gated child in a new set: its gate, the set's queue, the set, and the node.
#[allow(clippy::type_complexity)]
fn gated() -> (
    LoomArc<Gate>,
    Arc<Queue<'static>>,
    LocalSet<'static>,
    Arc<Node<'static, TestChild<impl Future<Output = u32> + Send + 'static>>>,
) {
    let gate = LoomArc::new(Gate::default());
    let queue = Queue::new();
    let mut set = LocalSet::new(Arc::clone(&queue));
    let node = spawn(&mut set, &queue, child(&gate));
    (gate, queue, set, node)
}

/// Another thread opens the gate.
fn open_elsewhere(gate: &LoomArc<Gate>) -> thread::JoinHandle<()> {
    let gate = LoomArc::clone(gate);
    thread::spawn(move || gate.open())
}

fn abandoned(shared: &Shared) -> bool {
    shared.abandoned.load(Ordering::SeqCst)
}

/// A child woken from another thread — before, while or after the set polls it — is
/// polled again and finishes: the wake is never lost (`block_on` would deadlock, which
/// loom reports), and the set ends empty.
#[test]
fn loom_a_child_woken_from_another_thread_is_polled_again() {
    ::loom::model(|| {
        let (gate, _queue, mut set, node) = gated();
        let opener = open_elsewhere(&gate);
        block_on(std::future::poll_fn(|cx| set.poll(cx)));
        opener.join().unwrap();
        assert_eq!(result(&node), Some(7));
        assert!(set.is_empty());
        assert_eq!(
            gate.dropped.load(Ordering::SeqCst),
            1,
            "dropped once it finished"
        );
        assert!(!abandoned(node.shared()));
    });
}

/// The set is dropped while another thread wakes its pending child: the child is dropped
/// once (settled as abandoned), never polled after, and a wake after the drop queues
/// nothing (the queue is closed and empty, so nothing in it outlives the set).
#[test]
fn loom_a_set_dropped_while_its_child_is_woken() {
    ::loom::model(|| {
        let (gate, queue, mut set, node) = gated();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(set.poll(&mut cx).is_pending(), "the gate is shut");
        let opener = open_elsewhere(&gate);
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
        assert!(abandoned(node.shared()));
        assert_eq!(result(&node), None);
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
        let (gate, queue, mut set, node) = gated();
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
        assert_eq!(result(&node), Some(7));
        assert!(queue.lock().nodes.len() <= 1, "queued at most once");
    });
}
