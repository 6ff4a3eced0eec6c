//! The select engine's hand-offs: a send case's value is produced only once its case is
//! committed and then always lands somewhere; close wakes parked cases; a select future
//! dropped at any point makes no case happen and loses nothing (DESIGN-select.md,
//! invariants 3, 4, 5 and 7).
//!
//! Every ordering is forced by polling futures by hand with a counting waker; the random
//! interleavings are in `select_engine_stress.rs`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::Poll;

use goscope::chan::{self, SendError, TryRecvError};
use goscope::select::{self, Select};

use goscope_tests::{Probe, idle};

/// A counter of how often a send case's value was produced.
#[derive(Default)]
struct Made(AtomicUsize);

impl Made {
    /// A value closure that counts, then makes `v`.
    fn value<'a, T: Send + 'a>(&'a self, v: T) -> impl FnOnce() -> T + Send + 'a {
        move || {
            self.0.fetch_add(1, SeqCst);
            v
        }
    }
    fn count(&self) -> usize {
        self.0.load(SeqCst)
    }
}

// ----- lazy send values -----

#[tokio::test]
async fn a_send_case_produces_its_value_only_when_it_wins() {
    select::seed(11);
    const RUNS: u32 = 2_000;
    let (in_tx, in_rx) = chan::unbounded::<u32>();
    let (out, out_rx) = chan::unbounded::<u32>();
    for i in 0..RUNS {
        in_tx.try_send(i).unwrap();
    }
    let made = Made::default();
    let mut sent = Vec::new();
    for i in 0..RUNS {
        let mut sel = Select::new();
        sel.send(&out, made.value(i), |r| r.map(|()| true).unwrap());
        sel.recv(&in_rx, |v| v.map(|_| false).unwrap());
        if sel.await {
            sent.push(i);
        }
        assert_eq!(made.count(), sent.len());
    }
    assert!(
        !sent.is_empty() && sent.len() < RUNS as usize,
        "{}",
        sent.len()
    );
    assert_eq!(in_rx.len(), sent.len());
    assert_eq!(out_rx.iter().take(sent.len()).collect::<Vec<_>>(), sent);
}

/// Both cases ready every time: a parked plain receiver on a rendezvous channel (the
/// select hands its value over in its own pass) against a buffered receive.
#[test]
fn a_send_case_to_a_parked_receiver_produces_only_when_it_wins() {
    select::seed(12);
    let (out, out_rx) = chan::bounded::<u32>(0);
    let (in_tx, in_rx) = chan::unbounded::<u32>();
    let made = Made::default();
    let p = Probe::new();
    let mut receiver = Box::pin(out_rx.recv());
    assert!(p.poll(&mut receiver).is_pending());
    let (mut sends, mut recvs) = (0, 0);
    for i in 0..1_000 {
        in_tx.try_send(i).unwrap();
        let mut sel = Select::new();
        sel.send(&out, made.value(i), |r| r.is_ok());
        sel.recv(&in_rx, |v| {
            assert_eq!(v, Some(i));
            false
        });
        if sel.try_select().unwrap() {
            sends += 1;
            assert_eq!(p.poll(&mut receiver), Poll::Ready(Some(i)));
            receiver = Box::pin(out_rx.recv());
            assert!(p.poll(&mut receiver).is_pending());
            assert_eq!(in_rx.try_recv(), Ok(i), "the losing receive took a value");
        } else {
            recvs += 1;
            assert_eq!(in_rx.try_recv(), Err(TryRecvError::Empty));
        }
        assert_eq!(made.count(), sends);
    }
    assert!(sends > 0 && recvs > 0);
}

#[test]
fn a_parked_send_case_that_loses_produces_nothing_and_one_that_wins_produces_once() {
    let p = Probe::new();
    for receive_wins in [true, false] {
        let (out, out_rx) = chan::bounded::<String>(0);
        let (in_tx, in_rx) = chan::bounded::<u8>(0);
        let made = Made::default();
        let mut sel = Select::new();
        sel.send(&out, made.value("made".to_owned()), |r| r.map(|()| 0));
        sel.recv(&in_rx, |v| Ok(v.unwrap()));
        let mut sel = sel.into_future();
        assert!(p.poll(&mut sel).is_pending());
        if receive_wins {
            in_tx.try_send(5).unwrap();
            assert_eq!(p.poll(&mut sel), Poll::Ready(Ok(5)));
            assert_eq!(made.count(), 0);
            assert!(out.try_send("plain".to_owned()).unwrap_err().is_full());
        } else {
            // A receiver claims the parked send: it waits while the select makes the value.
            let mut receiver = Box::pin(out_rx.recv());
            assert!(p.poll(&mut receiver).is_pending());
            assert_eq!(made.count(), 0, "made before the select ran");
            assert_eq!(p.poll(&mut sel), Poll::Ready(Ok(0)));
            assert_eq!(made.count(), 1);
            assert_eq!(p.poll(&mut receiver), Poll::Ready(Some("made".to_owned())));
            assert!(
                in_tx.try_send(5).unwrap_err().is_full(),
                "the select left a waiter"
            );
        }
    }
}

#[tokio::test]
async fn a_chosen_send_case_on_a_closed_channel_gets_its_produced_value_back() {
    for cap in [0, 1] {
        let (out, out_rx) = chan::bounded::<String>(cap);
        out_rx.close();
        let made = Made::default();
        let mut sel = Select::new();
        sel.send(&out, made.value(format!("v{cap}")), |r| r);
        assert_eq!(sel.await, Err(SendError(format!("v{cap}"))));
        assert_eq!(made.count(), 1);
    }
}

/// SPEC's `send(tx, pending.take().unwrap()), if pending.is_some()` in a loop: a send that
/// loses consumes nothing, so each item is sent exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_loop_with_pending_take_sends_every_item_exactly_once() {
    const ITEMS: u32 = 500;
    let (out, out_rx) = chan::bounded::<u32>(0);
    let (noise_tx, noise) = chan::unbounded::<u32>();
    for i in 0..ITEMS * 4 {
        noise_tx.try_send(i).unwrap();
    }
    let consumer = tokio::spawn(async move {
        let mut got = Vec::new();
        while let Some(v) = out_rx.recv().await {
            got.push(v);
        }
        got
    });
    let mut losses = 0;
    for item in 0..ITEMS {
        let mut pending = Some(item);
        while pending.is_some() {
            let mut sel = Select::new();
            sel.send(&out, || pending.take().unwrap(), |r| r.unwrap());
            sel.recv(&noise, |v| {
                v.unwrap();
                losses += 1;
            });
            sel.await;
        }
    }
    drop(out);
    assert_eq!(consumer.await.unwrap(), (0..ITEMS).collect::<Vec<_>>());
    assert_eq!(noise.len() + losses, (ITEMS * 4) as usize);
    assert!(losses > 0, "the send never lost: the test proved nothing");
}

// ----- close -----

#[test]
fn close_wakes_a_parked_receive_case_with_none() {
    for cap in [Some(0), Some(1), None] {
        let (tx, rx) = cap.map_or_else(chan::unbounded::<u32>, chan::bounded);
        let (_keep, quiet) = idle::<u32>();
        let p = Probe::new();
        let mut sel = Select::new();
        sel.recv(&quiet, |_| unreachable!("never ready"));
        sel.recv(&rx, |v| v);
        let mut sel = sel.into_future();
        assert!(p.poll(&mut sel).is_pending());
        drop(tx); // the last sender: closes
        assert!(p.wakes() >= 1, "cap {cap:?}: close did not wake the select");
        assert_eq!(p.poll(&mut sel), Poll::Ready(None));
    }
}

#[test]
fn close_wakes_a_parked_send_case_with_its_produced_value() {
    for cap in [0, 1] {
        let (tx, rx) = chan::bounded::<String>(cap);
        for _ in 0..cap {
            tx.try_send("filler".to_owned()).unwrap();
        }
        let (_keep, quiet) = idle::<u32>();
        let made = Made::default();
        let p = Probe::new();
        let mut sel = Select::new();
        sel.recv(&quiet, |_| unreachable!("never ready"));
        sel.send(&tx, made.value("late".to_owned()), |r| r);
        let mut sel = sel.into_future();
        assert!(p.poll(&mut sel).is_pending());
        assert!(rx.close());
        assert!(p.wakes() >= 1);
        assert_eq!(
            p.poll(&mut sel),
            Poll::Ready(Err(SendError("late".to_owned())))
        );
        assert_eq!(made.count(), 1);
        // What was buffered before the close is still received.
        assert_eq!(rx.try_recv().ok(), (cap == 1).then(|| "filler".to_owned()));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_from_another_task_ends_waiting_selects() {
    for _ in 0..200 {
        let (tx, rx) = chan::bounded::<u32>(0);
        let (tx2, rx2) = (tx.clone(), rx.clone());
        let receiver = tokio::spawn(async move {
            let mut sel = Select::new();
            sel.recv(&rx2, |v| v);
            sel.await
        });
        let sender = tokio::spawn(async move {
            let mut sel = Select::new();
            sel.send(&tx2, || 1, |r| r.err().map(|SendError(v)| v));
            sel.await
        });
        tokio::task::yield_now().await;
        tx.close();
        // Either they met before the close, or each saw it.
        match (receiver.await.unwrap(), sender.await.unwrap()) {
            (Some(1), None) | (None, Some(1)) => {}
            other => panic!("{other:?}"),
        }
        drop(rx);
    }
}

// ----- cancel safety: a dropped select makes no case happen -----

/// A select parked on a receive, then dropped: a value sent afterwards goes to a plain
/// receive, once.
#[test]
fn a_receive_case_dropped_while_parked_takes_nothing_later() {
    for cap in [0, 1] {
        let (tx, rx) = chan::bounded::<u32>(cap);
        let (_keep, quiet) = idle::<u32>();
        let p = Probe::new();
        let mut sel = Select::new();
        sel.recv(&rx, |_| {
            unreachable!("cap {cap}: a dropped select received")
        });
        sel.recv(&quiet, |_| unreachable!("never ready"));
        let mut sel = sel.into_future();
        assert!(p.poll(&mut sel).is_pending());
        drop(sel);
        let mut plain = Box::pin(rx.recv());
        if cap == 0 {
            assert!(
                tx.try_send(1).unwrap_err().is_full(),
                "the dropped select still waits"
            );
            assert!(p.poll(&mut plain).is_pending());
        }
        tx.try_send(7).unwrap();
        assert_eq!(p.poll(&mut plain), Poll::Ready(Some(7)));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }
}

/// The other order: the value is handed to the parked select, which is dropped before it
/// runs again. The value was sent: it goes to the receiver waiting behind the select, or
/// stays in the channel.
#[test]
fn a_receive_case_dropped_after_a_value_was_handed_to_it_gives_the_value_back() {
    for waiting_behind in [false, true] {
        let (tx, rx) = chan::bounded::<u32>(0);
        let p = Probe::new();
        let mut sel = Select::new();
        sel.recv(&rx, |_| unreachable!("a dropped select received"));
        let mut sel = sel.into_future();
        assert!(p.poll(&mut sel).is_pending());
        let mut behind = Box::pin(rx.recv());
        if waiting_behind {
            assert!(p.poll(&mut behind).is_pending());
        }
        tx.try_send(7).unwrap(); // handed to the select, first in line
        let wakes = p.wakes();
        drop(sel);
        if waiting_behind {
            assert!(p.wakes() > wakes, "the receiver behind was not woken");
        } else {
            assert_eq!(rx.len(), 1, "a pending hand-off, past the capacity");
        }
        assert_eq!(p.poll(&mut behind), Poll::Ready(Some(7)));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }
}

/// A plain receiver claims a parked select's send case; the select is dropped before it
/// runs again: no value was made, and the receiver waits on, first in line.
#[test]
fn a_claimed_send_case_dropped_releases_the_receiver_that_waits_for_it() {
    let (tx, rx) = chan::bounded::<u32>(0);
    let made = Made::default();
    let p = Probe::new();
    let mut sel = Select::new();
    sel.send(&tx, made.value(1), |_| unreachable!("dropped"));
    let mut sel = sel.into_future();
    assert!(p.poll(&mut sel).is_pending());
    let mut first = Box::pin(rx.recv());
    assert!(p.poll(&mut first).is_pending()); // claims the select's case
    let mut second = Box::pin(rx.recv());
    assert!(p.poll(&mut second).is_pending());
    drop(sel);
    assert_eq!(made.count(), 0);
    assert!(p.poll(&mut first).is_pending());
    tx.try_send(2).unwrap();
    tx.try_send(3).unwrap();
    assert_eq!(p.poll(&mut first), Poll::Ready(Some(2)));
    assert_eq!(p.poll(&mut second), Poll::Ready(Some(3)));
}

/// The same, when the claiming receiver is itself a select: it polls anew and waits on.
#[test]
fn a_claimed_send_case_dropped_releases_a_receiving_select() {
    let (tx, rx) = chan::bounded::<u32>(0);
    let (_keep, quiet) = idle::<u32>();
    let made = Made::default();
    let (ps, pr) = (Probe::new(), Probe::new());
    let mut sender = Select::new();
    sender.send(&tx, made.value(1), |_| unreachable!("dropped"));
    let mut sender = sender.into_future();
    assert!(ps.poll(&mut sender).is_pending());
    let mut receiver = Select::new();
    receiver.recv(&rx, |v| v);
    receiver.recv(&quiet, |_| unreachable!("never ready"));
    let mut receiver = receiver.into_future();
    assert!(pr.poll(&mut receiver).is_pending()); // committed to the lazy send
    assert_eq!(ps.wakes(), 1);
    drop(sender);
    assert_eq!(made.count(), 0);
    assert!(pr.wakes() >= 1, "the receiving select was not told");
    assert!(pr.poll(&mut receiver).is_pending());
    tx.try_send(2).unwrap();
    assert_eq!(pr.poll(&mut receiver), Poll::Ready(Some(2)));
}

/// A send case that got a reserved buffer slot (a receive freed it), dropped before it
/// made its value: the slot is free again.
#[test]
fn a_send_case_dropped_with_a_reserved_slot_frees_it() {
    let (tx, rx) = chan::bounded::<u32>(1);
    tx.try_send(0).unwrap();
    let made = Made::default();
    let p = Probe::new();
    let mut sel = Select::new();
    sel.send(&tx, made.value(1), |_| unreachable!("dropped"));
    let mut sel = sel.into_future();
    assert!(p.poll(&mut sel).is_pending());
    assert_eq!(rx.try_recv(), Ok(0)); // frees the slot, reserved for the select
    assert_eq!(p.wakes(), 1);
    drop(sel);
    assert_eq!(made.count(), 0);
    tx.try_send(2).unwrap();
    assert!(tx.try_send(3).unwrap_err().is_full());
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

/// A receiver claims a parked select's send case and is dropped before the value comes:
/// the select still sends (the case counts as sent) and the value stays in the channel,
/// or goes to the next receiver.
#[test]
fn a_value_made_for_a_receiver_that_left_goes_to_the_next_or_stays() {
    for next_waits in [false, true] {
        let (tx, rx) = chan::bounded::<u32>(0);
        let made = Made::default();
        let p = Probe::new();
        let mut sel = Select::new();
        sel.send(&tx, made.value(5), |r| r);
        let mut sel = sel.into_future();
        assert!(p.poll(&mut sel).is_pending());
        let mut gone = Box::pin(rx.recv());
        assert!(p.poll(&mut gone).is_pending());
        drop(gone);
        let mut next = Box::pin(rx.recv());
        if next_waits {
            assert!(p.poll(&mut next).is_pending());
        }
        assert_eq!(p.poll(&mut sel), Poll::Ready(Ok(())));
        assert_eq!(made.count(), 1);
        assert_eq!(p.poll(&mut next), Poll::Ready(Some(5)));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }
}

/// A receiving select committed to a parked sending select's lazy value and is dropped
/// before the value comes: the value is made, and stays in the channel.
#[test]
fn a_receiving_select_dropped_while_committed_to_a_lazy_send_loses_nothing() {
    let (tx, rx) = chan::bounded::<u32>(0);
    let made = Made::default();
    let (ps, pr) = (Probe::new(), Probe::new());
    let mut sender = Select::new();
    sender.send(&tx, made.value(6), |r| r);
    let mut sender = sender.into_future();
    assert!(ps.poll(&mut sender).is_pending());
    let mut receiver = Select::new();
    receiver.recv(&rx, |_| unreachable!("dropped"));
    let mut receiver = receiver.into_future();
    assert!(pr.poll(&mut receiver).is_pending());
    drop(receiver);
    assert_eq!(ps.poll(&mut sender), Poll::Ready(Ok(())));
    assert_eq!(made.count(), 1);
    assert_eq!(rx.try_recv(), Ok(6));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

/// A claimed send case whose value expression panics: no send happened, and the claiming
/// receiver waits on.
#[test]
fn a_panicking_send_value_releases_the_claiming_receiver() {
    let (tx, rx) = chan::bounded::<u32>(0);
    let p = Probe::new();
    let mut sel = Select::new();
    sel.send(
        &tx,
        || panic!("value expression"),
        |_| unreachable!("panicked"),
    );
    let mut sel = sel.into_future();
    assert!(p.poll(&mut sel).is_pending());
    let mut receiver = Box::pin(rx.recv());
    assert!(p.poll(&mut receiver).is_pending());
    let wakes = p.wakes();
    assert!(catch_unwind(AssertUnwindSafe(|| p.poll(&mut sel))).is_err());
    drop(sel);
    assert!(p.wakes() > wakes, "the receiver was not released");
    assert!(p.poll(&mut receiver).is_pending());
    tx.try_send(4).unwrap();
    assert_eq!(p.poll(&mut receiver), Poll::Ready(Some(4)));
}
