//! loom models of the select protocol: every interleaving of the threads is explored.
//!
//! Run: `RUSTFLAGS="--cfg goscope_loom" cargo test -p goscope --lib --release loom`

use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::task::{Context, Poll};

use futures_util::task::noop_waker_ref;
use loom::future::block_on;
use loom::thread;

use super::Select;
use crate::chan::{TryRecvError, bounded};

fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(noop_waker_ref()))
}

#[test]
fn loom_two_selects_on_opposite_ends_of_a_rendezvous() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let sender = thread::spawn(move || {
            let mut sel = Select::new();
            sel.send(&tx, || 1, |r| r.is_ok());
            block_on(sel.into_future())
        });
        let mut sel = Select::new();
        sel.recv(&rx, |v| v);
        assert_eq!(block_on(sel.into_future()), Some(1));
        assert!(sender.join().unwrap());
    });
}

#[test]
fn loom_select_recv_vs_close() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let closer = thread::spawn(move || {
            tx.close();
        });
        let mut sel = Select::new();
        sel.recv(&rx, |v| v);
        assert_eq!(block_on(sel.into_future()), None);
        closer.join().unwrap();
    });
}

#[test]
fn loom_select_send_vs_close() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let closer = thread::spawn(move || {
            rx.close();
        });
        let mut sel = Select::new();
        sel.send(&tx, || 3, |r| r.map_err(|e| e.0));
        // Nobody receives: the only way out is the close, which hands the value back.
        assert_eq!(block_on(sel.into_future()), Err(3));
        closer.join().unwrap();
    });
}

#[test]
fn loom_dropped_select_recv_races_a_sender() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let rx2 = rx.clone();
        let selector = thread::spawn(move || {
            let mut sel = Select::new();
            sel.recv(&rx2, |v| v);
            let mut fut = pin!(sel.into_future());
            match poll_once(fut.as_mut()) {
                Poll::Ready(v) => v,
                Poll::Pending => None, // parked, then dropped: no case happens
            }
        });
        let sender = thread::spawn(move || block_on(tx.send(5)));
        match selector.join().unwrap() {
            Some(v) => assert_eq!(v, 5),
            None => assert_eq!(block_on(rx.recv()), Some(5)),
        }
        assert!(sender.join().unwrap().is_ok());
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

#[test]
fn loom_claimed_select_send_dropped_releases_the_receiver() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let receiver = thread::spawn(move || block_on(rx.recv()));
        let mut sel = Select::new();
        sel.send(&tx, || 1, |r| r.is_ok());
        // Boxed, so that `drop(fut)` below drops the future itself (not a `Pin<&mut _>`).
        let mut fut = Box::pin(sel.into_future());
        let sent_by_select = match poll_once(fut.as_mut()) {
            Poll::Ready(ok) => ok,
            // Parked; the receiver may have claimed the case. Dropping the select must
            // release it: no value was produced, so it waits on for the next send.
            Poll::Pending => false,
        };
        drop(fut);
        if sent_by_select {
            assert_eq!(receiver.join().unwrap(), Some(1));
        } else {
            block_on(tx.send(9)).unwrap();
            assert_eq!(receiver.join().unwrap(), Some(9));
        }
    });
}
