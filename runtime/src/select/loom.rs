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

#[test]
fn loom_released_select_is_not_claimable_mid_pass() {
    released_select_model(false);
}

#[test]
fn loom_released_select_is_not_claimable_mid_pass_other_order() {
    released_select_model(true);
}

/// S selects on A and B (in a fixed order: loom needs a deterministic model). X, a
/// select sending on A, may be claimed by S and then dropped, which releases S; meanwhile
/// Y sends on B. S must end with exactly one value, and the other sender's must not be
/// lost. (A release used to make S claimable while it was still unregistering its other
/// cases after committing: Y's value could land in a case about to be removed.)
fn released_select_model(b_first: bool) {
    // Three threads: bounded at 3 preemptions whatever LOOM_MAX_PREEMPTIONS says, to
    // keep the model within CI's budget (about 25 s in release).
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(move || {
        let (ta, ra) = bounded::<u32>(0);
        let (tb, rb) = bounded::<u32>(0);
        // Keeps A open after X is done with its sender.
        let _keep_a_open = ta.clone();
        let x = thread::spawn(move || {
            let mut sel = Select::new();
            sel.send(&ta, || 1, |r| r.is_ok());
            let mut fut = Box::pin(sel.into_future());
            let sent = matches!(poll_once(fut.as_mut()), Poll::Ready(true));
            drop(fut);
            sent
        });
        let rb2 = rb.clone();
        let y = thread::spawn(move || block_on(tb.send(2)).is_ok());
        let mut sel = Select::biased();
        if b_first {
            sel.recv(&rb2, |v| v);
            sel.recv(&ra, |v| v);
        } else {
            sel.recv(&ra, |v| v);
            sel.recv(&rb2, |v| v);
        }
        let got = block_on(sel.into_future());
        let x_sent = x.join().unwrap();
        match got {
            Some(1) => assert!(x_sent),
            Some(2) => assert!(!x_sent),
            other => panic!("unexpected {other:?}"),
        }
        if got != Some(2) {
            // Y is still waiting to hand over 2: it must still be there, exactly once.
            assert_eq!(block_on(rb.recv()), Some(2));
        }
        assert!(y.join().unwrap());
    });
}

/// A receive case whose pattern refuses the value (`Some(1) = recv(a)` gets 2): the case
/// is disabled and the select reopens, then completes on its other case. One thread sends
/// 2 on `a` (a rendezvous: it completes only once the select took it) and then 7 on `b`.
#[test]
fn loom_refused_case_reopens_the_select() {
    use super::case::RecvCase;
    use super::engine::SelectMacroFuture;

    loom::model(|| {
        let (a_tx, a) = bounded::<u32>(0);
        let (b_tx, b) = bounded::<u32>(0);
        let sender = thread::spawn(move || {
            assert!(block_on(a_tx.send(2)).is_ok());
            assert!(block_on(b_tx.send(7)).is_ok());
        });
        let mut refusing = pin!(Some(RecvCase::new(&a, |v: Option<u32>| {
            (v == Some(1)).then_some(0)
        })));
        let mut taking = pin!(Some(RecvCase::new(&b, |v: Option<u32>| v)));
        let mut order = [0usize; 2];
        let cases = (refusing.as_mut(), (taking.as_mut(), ()));
        let out = block_on(SelectMacroFuture::new(cases, &mut order, true));
        assert_eq!(out, 7);
        sender.join().unwrap();
        assert_eq!(
            a.try_recv(),
            Err(TryRecvError::Closed),
            "2 was taken, refused"
        );
    });
}

/// A select parked on a full buffer gets a slot reserved by the receive that freed it
/// (or finds the slot itself), and is dropped before it can fill it, or fills it: the
/// receiver's next value is the select's, or, once the reservation is given up (a hole
/// at the front of a full ring), the next plain send's.
#[test]
fn loom_a_reserved_slot_given_up_races_a_receiver() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        tx.try_send(0).unwrap();
        let receiver = thread::spawn(move || (block_on(rx.recv()), block_on(rx.recv())));
        let mut sel = Select::new();
        sel.send(&tx, || 1, |r| r.is_ok());
        let mut fut = Box::pin(sel.into_future());
        let sent = matches!(poll_once(fut.as_mut()), Poll::Ready(true));
        drop(fut);
        if !sent {
            block_on(tx.send(9)).unwrap();
        }
        let (first, second) = receiver.join().unwrap();
        assert_eq!(first, Some(0));
        assert_eq!(second, Some(if sent { 1 } else { 9 }));
    });
}

/// A receiver parks behind a slot a select reserved (`Pending`): the fill hands it the
/// value.
#[test]
fn loom_a_filled_reservation_reaches_a_parked_receiver() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let receiver = thread::spawn(move || block_on(rx.recv()));
        let mut sel = Select::new();
        sel.send(&tx, || 1, |r| r.is_ok());
        assert!(block_on(sel.into_future()));
        assert_eq!(receiver.join().unwrap(), Some(1));
    });
}
