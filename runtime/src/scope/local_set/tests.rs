//! The set's unsafe parts (the raw waker, the pinned child in its node, the owner-only
//! drop, nodes and wakers outliving the set and what the children borrowed), run under
//! Miri by `.ci/run`. No runtime: the tests poll the set by hand.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;
use std::task::Wake;

use super::test_child::{Shared, TestChild, result, spawn};
use super::*;

/// The outer task's waker: counts its wakes.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn outer() -> (Arc<Counter>, Waker) {
    let counter = Arc::new(Counter::default());
    (Arc::clone(&counter), Waker::from(counter))
}

/// Counts its drops.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Pending until `open`; keeps the last waker where a test (or a thread) can reach it.
#[derive(Default)]
struct Gate {
    open: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Gate {
    fn wait(&self) -> impl Future<Output = ()> + Send + '_ {
        std::future::poll_fn(move |cx| {
            if self.open.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            if self.open.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }

    fn open(&self) {
        self.open.store(true, Ordering::SeqCst);
        if let Some(waker) = self.waker.lock().unwrap().take() {
            waker.wake();
        }
    }
}

#[test]
fn children_borrow_finish_and_leave_their_results_in_the_nodes() {
    let data = [1, 2, 3];
    let queue = Queue::new();
    let mut set = LocalSet::new(Arc::clone(&queue));
    let nodes: Vec<_> = data
        .iter()
        .map(|v| {
            let v: &u32 = v;
            spawn(&mut set, &queue, async move { *v * 10 })
        })
        .collect();
    let (_, waker) = outer();
    assert_eq!(set.poll(&mut Context::from_waker(&waker)), Poll::Ready(()));
    assert!(set.is_empty());
    let results: Vec<_> = nodes.iter().map(|n| result(n)).collect();
    assert_eq!(results, [Some(10), Some(20), Some(30)]);
    drop(set);
    drop(nodes);
}

#[test]
fn a_child_woken_from_another_thread_is_polled_again() {
    let gate = Gate::default();
    let queue = Queue::new();
    let mut set = LocalSet::new(Arc::clone(&queue));
    let node = spawn(&mut set, &queue, async {
        gate.wait().await;
        7
    });
    let (counter, waker) = outer();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(set.poll(&mut cx), Poll::Pending);
    std::thread::scope(|t| {
        t.spawn(|| gate.open());
    });
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    assert_eq!(set.poll(&mut cx), Poll::Ready(()));
    assert_eq!(result(&node), Some(7));
}

#[test]
fn a_child_that_wakes_itself_does_not_starve_the_others() {
    let spins = AtomicUsize::new(0);
    let gate = Gate::default();
    let queue = Queue::new();
    let mut set = LocalSet::new(Arc::clone(&queue));
    let spinner = spawn(
        &mut set,
        &queue,
        std::future::poll_fn(|cx| {
            spins.fetch_add(1, Ordering::SeqCst);
            cx.waker().wake_by_ref();
            Poll::<u32>::Pending
        }),
    );
    let waiter = spawn(&mut set, &queue, async {
        gate.wait().await;
        1
    });
    let (counter, waker) = outer();
    let mut cx = Context::from_waker(&waker);
    // Two children, two polls: the spinner is ready again, so the set yields.
    assert_eq!(set.poll(&mut cx), Poll::Pending);
    assert_eq!(spins.load(Ordering::SeqCst), 1);
    // The spinner's wake reached the outer task through the queue; then the yield.
    assert_eq!(counter.0.load(Ordering::SeqCst), 2);
    gate.open();
    assert_eq!(set.poll(&mut cx), Poll::Pending);
    assert_eq!(spins.load(Ordering::SeqCst), 2);
    assert_eq!(result(&waiter), Some(1));
    // One child left: one poll per pass.
    assert_eq!(set.poll(&mut cx), Poll::Pending);
    assert_eq!(spins.load(Ordering::SeqCst), 3);
    drop(set);
    assert!(spinner.shared().abandoned.load(Ordering::SeqCst));
    assert!(!waiter.shared().abandoned.load(Ordering::SeqCst));
}

#[test]
fn wakers_and_handles_outlive_the_set_and_what_the_children_borrowed() {
    let drops = Arc::new(AtomicUsize::new(0));
    let kept: Arc<Mutex<Vec<Waker>>> = Arc::default();
    let node: Arc<dyn Shares<Shared>>;
    {
        let borrowed = String::from("borrowed");
        let queue = Queue::new();
        let mut set = LocalSet::new(Arc::clone(&queue));
        let (guard, kept_here, text) =
            (DropCount(Arc::clone(&drops)), Arc::clone(&kept), &borrowed);
        node = handle(spawn(&mut set, &queue, async move {
            let _guard = guard;
            std::future::poll_fn(|cx| {
                // Wakers escape the child: a clone, and one woken by value later.
                kept_here.lock().unwrap().push(cx.waker().clone());
                kept_here.lock().unwrap().push(cx.waker().clone());
                Poll::<()>::Pending
            })
            .await;
            text.len() as u32
        }));
        let (_, waker) = outer();
        assert_eq!(set.poll(&mut Context::from_waker(&waker)), Poll::Pending);
        // A wake before the set goes: the entry is left in the queue, then closed.
        kept.lock().unwrap()[0].wake_by_ref();
        drop(set);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "the set drops its children"
        );
        drop(queue);
        drop(borrowed);
    }
    assert!(node.shared().abandoned.load(Ordering::SeqCst));
    assert_eq!(*node.shared().result.lock().unwrap(), None);
    // The set and the borrowed string are gone: wakes push nothing; the last counts go.
    let mut wakers = std::mem::take(&mut *kept.lock().unwrap());
    wakers.pop().unwrap().wake();
    wakers.pop().unwrap().wake_by_ref();
    drop(wakers);
    drop(node);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn clear_drops_every_child_and_skips_stale_entries() {
    let drops = Arc::new(AtomicUsize::new(0));
    let kept: Mutex<Option<Waker>> = Mutex::new(None);
    let queue = Queue::new();
    let mut set = LocalSet::new(Arc::clone(&queue));
    for _ in 0..3 {
        let guard = DropCount(Arc::clone(&drops));
        let kept = &kept;
        spawn(&mut set, &queue, async move {
            let _guard = guard;
            std::future::poll_fn(|cx| {
                *kept.lock().unwrap() = Some(cx.waker().clone());
                Poll::<u32>::Pending
            })
            .await
        });
    }
    let (_, waker) = outer();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(set.poll(&mut cx), Poll::Pending);
    // Queued, then cleared: a stale entry.
    kept.lock().unwrap().take().unwrap().wake();
    set.clear();
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    assert_eq!(set.poll(&mut cx), Poll::Ready(()));
    // The set takes new children after a clear.
    let node = spawn(&mut set, &queue, async { 5 });
    assert_eq!(set.poll(&mut cx), Poll::Ready(()));
    assert_eq!(result(&node), Some(5));
}

#[test]
fn a_node_never_inserted_drops_its_child_with_its_owned() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Queue::new();
    let guard = DropCount(Arc::clone(&drops));
    let (owned, node) = queue.node(
        TestChild::new(async move {
            let _guard = guard;
            1
        }),
        Shared::default(),
    );
    drop(owned);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert!(node.shared().abandoned.load(Ordering::SeqCst));
}

#[test]
fn a_finished_child_among_many_keeps_the_indices_right() {
    let gates: Vec<Gate> = (0..4).map(|_| Gate::default()).collect();
    let queue = Queue::new();
    let mut set = LocalSet::new(Arc::clone(&queue));
    let nodes: Vec<_> = gates
        .iter()
        .enumerate()
        .map(|(i, gate)| {
            spawn(&mut set, &queue, async move {
                gate.wait().await;
                i as u32
            })
        })
        .collect();
    let (_, waker) = outer();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(set.poll(&mut cx), Poll::Pending);
    // Out of order: each removal moves the last node into the hole.
    for i in [1, 0, 3, 2] {
        gates[i].open();
        let expected = if i == 2 {
            Poll::Ready(())
        } else {
            Poll::Pending
        };
        assert_eq!(set.poll(&mut cx), expected);
        assert_eq!(result(&nodes[i]), Some(i as u32));
    }
}

#[test]
fn a_panicking_destructor_runs_once() {
    struct Bomb(Arc<AtomicUsize>);
    impl Drop for Bomb {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
            panic!("boom");
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Queue::new();
    let mut set = LocalSet::new(Arc::clone(&queue));
    let bomb = Bomb(Arc::clone(&drops));
    spawn(&mut set, &queue, async move {
        let _bomb = bomb;
        std::future::pending::<u32>().await
    });
    let (_, waker) = outer();
    assert_eq!(set.poll(&mut Context::from_waker(&waker)), Poll::Pending);
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| set.clear()));
    assert!(unwound.is_err());
    drop(set);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
#[should_panic(expected = "a node belongs to the set of its own queue")]
fn a_node_of_another_queue_is_refused() {
    let (one, other) = (Queue::new(), Queue::new());
    let mut set = LocalSet::new(one);
    spawn(&mut set, &other, async { 1 });
}
