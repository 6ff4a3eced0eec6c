//! loom models of the channel core: every interleaving of the threads below is explored.
//!
//! Run: `RUSTFLAGS="--cfg goscope_loom" cargo test -p goscope --lib --release loom`

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

use futures_util::task::noop_waker_ref;
use loom::future::block_on;
use loom::thread;

use super::{TryRecvError, bounded};

/// Polls `fut` once with a waker that does nothing.
fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(noop_waker_ref()))
}

#[test]
fn loom_rendezvous_send_recv() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let sender = thread::spawn(move || block_on(tx.send(7)));
        assert_eq!(block_on(rx.recv()), Some(7));
        assert!(sender.join().unwrap().is_ok());
    });
}

#[test]
fn loom_close_while_receiver_waits() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let receiver = thread::spawn(move || block_on(rx.recv()));
        assert!(tx.close());
        // Nothing was sent: the parked (or late) receiver sees the close.
        assert_eq!(receiver.join().unwrap(), None);
    });
}

#[test]
fn loom_close_while_sender_and_receiver_wait() {
    loom::model(|| {
        // cap 1, already full: the sender parks with its value; close races a receiver.
        let (tx, rx) = bounded::<u32>(1);
        tx.try_send(1).unwrap();
        let rx2 = rx.clone();
        let sender = thread::spawn(move || block_on(tx.send(2)).map_err(|e| e.0));
        let receiver = thread::spawn(move || block_on(rx2.recv()));
        rx.close();
        let sent = sender.join().unwrap();
        let first = receiver.join().unwrap();
        // Every value is either received (now or later) or handed back: never both, never
        // neither.
        let mut received: Vec<u32> = first.into_iter().collect();
        while let Ok(v) = rx.try_recv() {
            received.push(v);
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        match sent {
            Ok(()) => assert_eq!(received, [1, 2]),
            Err(v) => {
                assert_eq!(v, 2);
                assert_eq!(received, [1]);
            }
        }
    });
}

#[test]
fn loom_dropped_recv_races_a_sender() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let rx2 = rx.clone();
        let dropper = thread::spawn(move || {
            let mut recv = pin!(rx2.recv());
            // Park (or take the value if the send came first), then give up.
            let got = poll_once(recv.as_mut());
            got.is_ready()
        });
        let sender = thread::spawn(move || block_on(tx.send(5)));
        if dropper.join().unwrap() {
            assert!(sender.join().unwrap().is_ok());
        } else {
            // The value was handed to the dropped receiver (and given back) or is still
            // with the parked sender: either way this receive gets it, exactly once.
            assert_eq!(block_on(rx.recv()), Some(5));
            assert!(sender.join().unwrap().is_ok());
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

/// The intrusive queue: two receivers parked in one queue; the first gives up (its waiter
/// unlinked by its drop) while a sender completes the head. The value reaches exactly one
/// receiver, and the queue's links stay sound (loom checks every cell access).
#[test]
fn loom_unlink_races_complete_in_a_queue_of_two() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let rx2 = rx.clone();
        // Park a waiter that stays queued behind the dropper's until the end.
        let mut stay = Box::pin(rx.recv());
        let dropper = thread::spawn(move || {
            let mut recv = pin!(rx2.recv());
            match poll_once(recv.as_mut()) {
                Poll::Ready(v) => v,
                Poll::Pending => None,
            }
        });
        assert!(poll_once(stay.as_mut()).is_pending());
        let sender = thread::spawn(move || {
            let _ = tx.try_send(7);
        });
        let dropper_got = dropper.join().unwrap();
        sender.join().unwrap();
        // Whatever the order: the value went to a live receiver, or came back from the
        // dropped one into the buffer, or was never sent (try_send found no one parked).
        let stay_got = match poll_once(stay.as_mut()) {
            Poll::Ready(v) => v,
            Poll::Pending => None,
        };
        let buffered = rx.try_recv().ok();
        let total = [dropper_got, stay_got, buffered]
            .into_iter()
            .flatten()
            .count();
        assert!(
            total <= 1,
            "the value was received twice: {dropper_got:?} {stay_got:?} {buffered:?}"
        );
    });
}

/// A parked send future dropped while a receiver takes its value: the value is received,
/// or dropped with the future, exactly once.
#[test]
fn loom_dropped_send_races_its_completion() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct Tracked;
    impl Drop for Tracked {
        fn drop(&mut self) {
            DROPS.fetch_add(1, SeqCst);
        }
    }

    loom::model(|| {
        DROPS.store(0, SeqCst);
        let (tx, rx) = bounded::<Tracked>(0);
        let sender = thread::spawn(move || {
            let mut send = pin!(tx.send(Tracked));
            let _ = poll_once(send.as_mut());
            // Dropped here: parked, taken, or (if the receiver took it) done.
        });
        let got = rx.try_recv().ok();
        sender.join().unwrap();
        drop(got);
        assert_eq!(
            DROPS.load(SeqCst),
            1,
            "the value was dropped {} times",
            DROPS.load(SeqCst)
        );
    });
}

// ----- the lock-free buffer against operations parking under the lock -----

#[test]
fn loom_a_lock_free_push_wakes_a_receiver_that_parks() {
    for cap in [1, usize::MAX] {
        loom::model(move || {
            let (tx, rx) = if cap == usize::MAX {
                super::unbounded::<u32>()
            } else {
                bounded::<u32>(cap)
            };
            // The receiver finds nothing and parks while the push goes in without the
            // lock: either its retry sees the value or the pusher sees it parked. A lost
            // wake-up is a deadlock, which loom reports.
            let receiver = thread::spawn(move || block_on(rx.recv()));
            tx.try_send(4).unwrap();
            assert_eq!(receiver.join().unwrap(), Some(4));
        });
    }
}

#[test]
fn loom_a_lock_free_pop_refills_from_a_sender_that_parks() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        tx.try_send(1).unwrap();
        let sender = thread::spawn(move || block_on(tx.send(2)));
        assert_eq!(rx.try_recv(), Ok(1));
        // The sender parked on the full buffer, or found the slot: either way its value
        // comes next, and its send completes.
        assert_eq!(block_on(rx.recv()), Some(2));
        assert!(sender.join().unwrap().is_ok());
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

#[test]
fn loom_lock_free_senders_and_a_parking_receiver_lose_nothing() {
    // Three threads: bounded at 2 preemptions to keep the model within CI's budget.
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(|| {
        let (tx, rx) = bounded::<u32>(1);
        let tx2 = tx.clone();
        let a = thread::spawn(move || block_on(tx.send(1)));
        let b = thread::spawn(move || block_on(tx2.send(2)));
        let mut got = [block_on(rx.recv()).unwrap(), block_on(rx.recv()).unwrap()];
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
        assert!(a.join().unwrap().is_ok() && b.join().unwrap().is_ok());
        assert_eq!(block_on(rx.recv()), None);
    });
}
