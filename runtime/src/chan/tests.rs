//! The waiter protocol's paths, small enough for Miri (`cargo +nightly miri test -p goscope
//! --lib chan::tests`): every way a waiter is parked, completed, linked to a select's
//! lazy send, cancelled and dropped, so that Miri checks each pointer and cell access.

use std::future::{Future, IntoFuture};
use std::pin::{Pin, pin};
use std::sync::Arc as StdArc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll};
use std::thread;

use futures_core::Stream;
use futures_util::task::noop_waker_ref;

use super::{TryRecvError, bounded, unbounded};
use crate::select::Select;
use crate::util::block_on::block_on;

fn poll<F: Future>(fut: Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(noop_waker_ref()))
}

/// Counts its drops.
struct Tracked(StdArc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn a_parked_receive_is_completed_into_its_waiter() {
    let (tx, rx) = bounded::<u32>(0);
    let mut recv = pin!(rx.recv());
    assert!(poll(recv.as_mut()).is_pending());
    tx.try_send(5).unwrap();
    assert_eq!(poll(recv.as_mut()), Poll::Ready(Some(5)));
}

#[test]
fn a_parked_send_is_taken_from_its_waiter() {
    let (tx, rx) = bounded::<String>(0);
    let mut send = pin!(tx.send("hi".to_owned()));
    assert!(poll(send.as_mut()).is_pending());
    assert_eq!(rx.try_recv().as_deref(), Ok("hi"));
    assert!(matches!(poll(send.as_mut()), Poll::Ready(Ok(()))));
}

#[test]
fn a_dropped_receive_gives_its_delivered_value_back() {
    let (tx, rx) = bounded::<u32>(0);
    {
        let mut recv = pin!(rx.recv());
        assert!(poll(recv.as_mut()).is_pending());
        tx.try_send(9).unwrap();
    }
    assert_eq!(rx.len(), 1);
    assert_eq!(rx.try_recv(), Ok(9));
}

#[test]
fn a_dropped_parked_send_drops_its_value_once() {
    let drops = StdArc::new(AtomicUsize::new(0));
    let (tx, rx) = bounded::<Tracked>(0);
    {
        let mut send = pin!(tx.send(Tracked(drops.clone())));
        assert!(poll(send.as_mut()).is_pending());
    }
    assert_eq!(drops.load(SeqCst), 1);
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
}

#[test]
fn close_wakes_parked_waiters_and_hands_values_back() {
    let (tx, rx) = bounded::<u32>(1);
    tx.try_send(1).unwrap();
    let mut send = pin!(tx.send(2));
    assert!(poll(send.as_mut()).is_pending());
    rx.close();
    assert!(matches!(poll(send.as_mut()), Poll::Ready(Err(e)) if e.0 == 2));
    let (_tx2, rx2) = bounded::<u32>(0);
    let mut recv = pin!(rx2.recv());
    assert!(poll(recv.as_mut()).is_pending());
    rx2.close();
    assert_eq!(poll(recv.as_mut()), Poll::Ready(None));
}

#[test]
fn a_receive_waits_for_a_selects_lazy_send_and_gets_it() {
    let (tx, rx) = bounded::<String>(0);
    let mut sel = Select::new();
    sel.send(&tx, || "lazy".to_owned(), |r| r.is_ok());
    let mut sel = pin!(sel.into_future());
    assert!(poll(sel.as_mut()).is_pending());
    let mut recv = pin!(rx.recv());
    // The receive claims the parked send case and links to it: the value is not made yet.
    assert!(poll(recv.as_mut()).is_pending());
    assert_eq!(poll(sel.as_mut()), Poll::Ready(true));
    assert_eq!(poll(recv.as_mut()), Poll::Ready(Some("lazy".to_owned())));
}

#[test]
fn a_receive_dropped_while_linked_leaves_the_value_in_the_channel() {
    let (tx, rx) = bounded::<String>(0);
    let mut sel = Select::new();
    sel.send(&tx, || "kept".to_owned(), |r| r.is_ok());
    let mut sel = pin!(sel.into_future());
    assert!(poll(sel.as_mut()).is_pending());
    {
        let mut recv = pin!(rx.recv());
        assert!(poll(recv.as_mut()).is_pending());
    }
    assert_eq!(poll(sel.as_mut()), Poll::Ready(true));
    assert_eq!(rx.try_recv().as_deref(), Ok("kept"));
}

#[test]
fn a_select_dropped_while_its_send_is_owed_lets_the_receiver_wait_on() {
    let (tx, rx) = bounded::<u32>(0);
    let mut recv = pin!(rx.recv());
    {
        let mut sel = Select::new();
        sel.send(&tx, || 1, |r| r.is_ok());
        let mut sel = pin!(sel.into_future());
        assert!(poll(sel.as_mut()).is_pending());
        assert!(poll(recv.as_mut()).is_pending());
    }
    // The send never happened; the receive is parked again and gets the next value.
    assert!(poll(recv.as_mut()).is_pending());
    tx.try_send(2).unwrap();
    assert_eq!(poll(recv.as_mut()), Poll::Ready(Some(2)));
}

#[test]
fn a_parked_select_receive_takes_a_value_handed_to_it() {
    let (tx, rx) = bounded::<u32>(0);
    let (_tx2, rx2) = bounded::<u32>(0);
    // Biased: an unbiased select seeds its order from the clock, which Miri isolates.
    let mut sel = Select::biased();
    sel.recv(&rx, |v| v);
    sel.recv(&rx2, |v| v);
    let mut sel = pin!(sel.into_future());
    assert!(poll(sel.as_mut()).is_pending());
    tx.try_send(3).unwrap();
    assert_eq!(poll(sel.as_mut()), Poll::Ready(Some(3)));
}

#[test]
fn a_receiver_stream_parks_its_boxed_waiter_and_unlinks_it_on_drop() {
    let (tx, mut rx) = unbounded::<u32>();
    let mut cx = Context::from_waker(noop_waker_ref());
    assert!(Pin::new(&mut rx).poll_next(&mut cx).is_pending());
    tx.try_send(4).unwrap();
    assert_eq!(Pin::new(&mut rx).poll_next(&mut cx), Poll::Ready(Some(4)));
    assert!(Pin::new(&mut rx).poll_next(&mut cx).is_pending());
    let moved = rx; // the waiter is boxed: moving the receiver moves no linked memory
    drop(moved);
    assert!(tx.is_closed());
}

#[test]
fn threads_hand_values_through_parked_waiters() {
    let n: u32 = if cfg!(miri) { 20 } else { 2_000 };
    let (tx, rx) = bounded::<u32>(0);
    let (tx2, rx2) = (tx.clone(), rx.clone());
    let producers = [
        thread::spawn(move || (0..n).for_each(|i| block_on(tx.send(i)).unwrap())),
        thread::spawn(move || (n..2 * n).for_each(|i| block_on(tx2.send(i)).unwrap())),
    ];
    let consumer = thread::spawn(move || {
        let mut sum = 0u64;
        while let Some(v) = block_on(rx2.recv()) {
            sum += u64::from(v);
        }
        sum
    });
    let mut sum = 0u64;
    while let Some(v) = block_on(rx.recv()) {
        sum += u64::from(v);
    }
    producers.into_iter().for_each(|p| p.join().unwrap());
    sum += consumer.join().unwrap();
    let m = u64::from(2 * n);
    assert_eq!(sum, m * (m - 1) / 2);
}

#[test]
fn a_select_macro_parks_its_pinned_cases_and_drops_them_in_place() {
    let (tx, rx) = bounded::<u32>(0);
    let (out, out_rx) = bounded::<u32>(0);
    let mut sel = pin!(async {
        crate::select! {
            biased;
            v = recv(rx) => v,
            send(out, 7) => Some(0),
        }
    });
    assert!(poll(sel.as_mut()).is_pending());
    tx.try_send(1).unwrap();
    assert_eq!(poll(sel.as_mut()), Poll::Ready(Some(1)));
    // A second select whose receive case is refused by its pattern (disabled, dropped in
    // place) and whose send case is then taken by a receiver.
    drop(tx);
    let mut sel = pin!(async {
        crate::select! {
            biased;
            Some(v) = recv(rx) => v,
            send(out, 7) => 0,
        }
    });
    assert!(poll(sel.as_mut()).is_pending());
    assert_eq!(
        out_rx.try_recv().ok(),
        None,
        "a select's lazy send is not taken by try_recv"
    );
    let mut recv = pin!(out_rx.recv());
    assert!(poll(recv.as_mut()).is_pending());
    assert_eq!(poll(sel.as_mut()), Poll::Ready(0));
    assert_eq!(poll(recv.as_mut()), Poll::Ready(Some(7)));
}

#[test]
fn a_receiver_dropped_with_a_value_in_its_stream_waiter_gives_it_back() {
    let (tx, rx) = bounded::<u32>(0);
    let mut streaming = rx.clone();
    let mut cx = Context::from_waker(noop_waker_ref());
    assert!(Pin::new(&mut streaming).poll_next(&mut cx).is_pending());
    // Handed into the stream's parked waiter, then the receiver goes without polling.
    tx.try_send(8).unwrap();
    drop(streaming);
    assert!(!rx.is_closed(), "another receiver is alive");
    assert_eq!(rx.try_recv(), Ok(8));
}
