//! The set polled by hand (no runtime), small enough for Miri, which checks the pinned
//! slice projection (`cargo +nightly miri test -p goscope --lib combinators::set`): which
//! futures a pass polls, in which order, and that no wake-up is lost.

use std::cell::RefCell;
use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use super::{SMALL, Set};

/// The caller's task: counts its wake-ups.
#[derive(Default)]
struct Parent(AtomicUsize);

impl Wake for Parent {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// What the test futures share: the order they were polled in, the waker each left, and
/// which may finish.
#[derive(Default)]
struct Log {
    polled: Vec<usize>,
    wakers: Vec<Option<Waker>>,
    ready: Vec<bool>,
    /// Futures that wake themselves each time they are polled.
    restless: Vec<bool>,
}

/// Future `index`: logs each poll, keeps its waker, finishes with its index once ready.
struct Probe {
    index: usize,
    log: Rc<RefCell<Log>>,
}

impl Future for Probe {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let mut log = self.log.borrow_mut();
        log.polled.push(self.index);
        if log.ready[self.index] {
            return Poll::Ready(self.index);
        }
        if log.restless[self.index] {
            cx.waker().wake_by_ref();
        }
        log.wakers[self.index] = Some(cx.waker().clone());
        Poll::Pending
    }
}

fn set_of(n: usize) -> (Set<Probe>, Rc<RefCell<Log>>) {
    let log = Rc::new(RefCell::new(Log {
        polled: Vec::new(),
        wakers: vec![None; n],
        ready: vec![false; n],
        restless: vec![false; n],
    }));
    let set = Set::new((0..n).map(|index| Probe {
        index,
        log: Rc::clone(&log),
    }));
    (set, log)
}

/// One pass from `start`, every finished future noted in `done`; what it returned.
fn pass(
    set: &mut Set<Probe>,
    parent: &Arc<Parent>,
    start: usize,
    done: &mut Vec<usize>,
) -> Poll<ControlFlow<()>> {
    let waker = Waker::from(Arc::clone(parent));
    let mut cx = Context::from_waker(&waker);
    set.poll(&mut cx, start, "Set", |slot, cx| {
        slot.poll_output(cx).map(|index| {
            done.push(index);
            ControlFlow::Continue(())
        })
    })
}

fn polled(log: &Rc<RefCell<Log>>) -> Vec<usize> {
    std::mem::take(&mut log.borrow_mut().polled)
}

fn wake(log: &Rc<RefCell<Log>>, index: usize) {
    let waker = log.borrow_mut().wakers[index].take();
    waker.expect("the future left a waker").wake();
}

#[test]
fn a_small_set_polls_every_running_future_from_the_start_round() {
    let (mut set, log) = set_of(5);
    let parent = Arc::new(Parent::default());
    let mut done = Vec::new();
    assert!(pass(&mut set, &parent, 3, &mut done).is_pending());
    assert_eq!(polled(&log), [3, 4, 0, 1, 2]);

    log.borrow_mut().ready[1] = true;
    assert!(pass(&mut set, &parent, 0, &mut done).is_pending());
    assert_eq!(polled(&log), [0, 1, 2, 3, 4]);
    assert_eq!(done, [1]);

    // Future 1 has finished: it is never polled again.
    assert!(pass(&mut set, &parent, 1, &mut done).is_pending());
    assert_eq!(polled(&log), [2, 3, 4, 0]);

    log.borrow_mut().ready = vec![true; 5];
    assert_eq!(
        pass(&mut set, &parent, 4, &mut done),
        Poll::Ready(ControlFlow::Continue(()))
    );
    assert_eq!(polled(&log), [4, 0, 2, 3]);
    assert_eq!(done, [1, 4, 0, 2, 3]);
}

#[test]
fn a_step_that_breaks_ends_the_pass_there() {
    let n = SMALL + 10;
    for (len, start) in [(5, 2), (n, 35)] {
        let (mut set, log) = set_of(len);
        log.borrow_mut().ready = vec![true; len];
        let waker = Waker::from(Arc::new(Parent::default()));
        let mut cx = Context::from_waker(&waker);
        let won = set.poll(&mut cx, start, "Set", |slot, cx| {
            slot.poll_output(cx).map(ControlFlow::Break)
        });
        assert_eq!(won, Poll::Ready(ControlFlow::Break(start)));
        assert_eq!(polled(&log), [start]);
    }
}

#[test]
fn a_large_set_polls_only_the_woken_from_the_start_round() {
    let n = SMALL + 70; // two words of bits
    let (mut set, log) = set_of(n);
    let parent = Arc::new(Parent::default());
    let mut done = Vec::new();
    assert!(pass(&mut set, &parent, 70, &mut done).is_pending());
    let first = polled(&log);
    assert_eq!(
        first,
        (70..n).chain(0..70).collect::<Vec<_>>(),
        "all, at first"
    );

    for index in [3, 66, 80, 99] {
        wake(&log, index);
    }
    // The first woke the task; it is not polled yet, so the others have nobody to wake.
    assert_eq!(parent.0.load(Ordering::SeqCst), 1);
    assert!(pass(&mut set, &parent, 70, &mut done).is_pending());
    assert_eq!(polled(&log), [80, 99, 3, 66]);

    // Nobody woke anything: a pass polls nothing.
    assert!(pass(&mut set, &parent, 0, &mut done).is_pending());
    assert!(polled(&log).is_empty());

    // A future woken twice before the pass is polled once, and the task woken once.
    let before = parent.0.load(Ordering::SeqCst);
    let waker = log.borrow_mut().wakers[5].clone().unwrap();
    waker.wake_by_ref();
    waker.wake_by_ref();
    assert_eq!(parent.0.load(Ordering::SeqCst), before + 1);
    log.borrow_mut().ready[5] = true;
    assert!(pass(&mut set, &parent, 0, &mut done).is_pending());
    assert_eq!(polled(&log), [5]);
    assert_eq!(done, [5]);

    // A late wake-up of a finished future does not get it polled again.
    waker.wake();
    assert!(pass(&mut set, &parent, 0, &mut done).is_pending());
    assert!(polled(&log).is_empty());

    log.borrow_mut().ready = vec![true; n];
    for index in (0..n).filter(|&index| index != 5) {
        wake(&log, index);
    }
    assert_eq!(
        pass(&mut set, &parent, 0, &mut done),
        Poll::Ready(ControlFlow::Continue(()))
    );
    assert_eq!(done.len(), n);
}

#[test]
fn a_future_that_wakes_itself_is_polled_at_the_next_pass_not_this_one() {
    let n = SMALL + 1;
    let (mut set, log) = set_of(n);
    log.borrow_mut().restless[7] = true;
    let parent = Arc::new(Parent::default());
    let mut done = Vec::new();
    assert!(pass(&mut set, &parent, 0, &mut done).is_pending());
    assert_eq!(polled(&log).len(), n);
    assert_eq!(parent.0.load(Ordering::SeqCst), 1, "it woke the task");
    assert!(pass(&mut set, &parent, 0, &mut done).is_pending());
    assert_eq!(polled(&log), [7]);
}

#[test]
fn a_wake_up_from_another_thread_reaches_the_task() {
    let n = SMALL + 2;
    let (mut set, log) = set_of(n);
    let parent = Arc::new(Parent::default());
    let mut done = Vec::new();
    assert!(pass(&mut set, &parent, 0, &mut done).is_pending());
    polled(&log);
    let waker = log.borrow_mut().wakers[31].take().unwrap();
    std::thread::spawn(move || waker.wake()).join().unwrap();
    assert_eq!(parent.0.load(Ordering::SeqCst), 1);
    log.borrow_mut().ready[31] = true;
    assert!(pass(&mut set, &parent, 0, &mut done).is_pending());
    assert_eq!(polled(&log), [31]);
    assert_eq!(done, [31]);
}

#[test]
fn finish_takes_the_outputs_in_input_order_and_drop_all_drops_the_futures() {
    let (mut set, log) = set_of(4);
    let parent = Arc::new(Parent::default());
    log.borrow_mut().ready = vec![true; 4];
    let waker = Waker::from(Arc::clone(&parent));
    let mut cx = Context::from_waker(&waker);
    let flow = set.poll(&mut cx, 2, "Set", |slot, cx| match slot.poll_done(cx) {
        true => Poll::Ready(ControlFlow::<()>::Continue(())),
        false => Poll::Pending,
    });
    assert_eq!(flow, Poll::Ready(ControlFlow::Continue(())));
    assert_eq!(set.finish(super::Branch::take), [0, 1, 2, 3]);

    let (mut set, log) = set_of(SMALL + 1);
    assert_eq!(Rc::strong_count(&log), SMALL + 2);
    set.drop_all();
    assert_eq!(Rc::strong_count(&log), 1, "every future was dropped");
}

#[test]
#[should_panic(expected = "`Set` polled after it completed")]
fn a_completed_set_refuses_a_poll() {
    let (mut set, _log) = set_of(2);
    set.drop_all();
    let parent = Arc::new(Parent::default());
    let _ = pass(&mut set, &parent, 0, &mut Vec::new());
}
