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
