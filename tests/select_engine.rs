//! The select engine, `goscope::select::Select`: which case runs. Exactly one; the choice
//! among ready cases is a uniform shuffle (or in order, `biased`); a receive that loses
//! takes nothing; a select that completed leaves no waiter behind; `try_select` is Go's
//! `default`.
//!
//! Our versions of Go's `test/chan` select scenarios (nonblock, select6, select7,
//! select_fairness). Orderings are forced by polling select futures by hand with a
//! counting waker; nothing sleeps and nothing is timed. Lazy send values, close and
//! cancellation are in `select_engine_handoff.rs`; the concurrent scenarios (select2's
//! memory bound, doubleselect, crossbeam's matching, selects on opposite ends, the
//! exactly-once stress, a sieve) in `select_engine_stress.rs`.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::Poll;

use goscope::chan::{self, Receiver, Sender, TryRecvError, TrySendError};
use goscope::select::{self, Select};

use goscope_tests::{Probe, idle};

// ----- nonblock: try_select is Go's `default` -----

#[test]
fn try_select_is_not_ready_on_empty_and_full_channels_and_can_be_retried() {
    for cap in [0, 1, 8] {
        let (tx, rx) = chan::bounded::<usize>(cap);
        let (out, out_rx) = chan::bounded::<usize>(cap);
        for i in 0..cap {
            out.try_send(i).unwrap();
        }
        let produced = AtomicUsize::new(0);
        let mut sel = Select::new();
        sel.recv(&rx, |v| v);
        sel.send(
            &out,
            || produced.fetch_add(1, SeqCst),
            |_| unreachable!("full"),
        );
        let sel = sel.try_select().unwrap_err();
        assert_eq!(
            produced.load(SeqCst),
            0,
            "cap {cap}: a send that is not ready produced"
        );
        // The select comes back unchanged: once a case is ready, it runs.
        if cap == 0 {
            let mut sender = Box::pin(tx.send(7));
            assert!(Probe::new().poll(&mut sender).is_pending());
            assert_eq!(sel.try_select().ok(), Some(Some(7)));
            assert_eq!(Probe::new().poll(&mut sender), Poll::Ready(Ok(())));
        } else {
            tx.try_send(7).unwrap();
            assert_eq!(sel.try_select().ok(), Some(Some(7)));
        }
        assert_eq!(produced.load(SeqCst), 0);
        assert_eq!(out_rx.len(), cap);
    }
}

#[test]
fn try_select_sends_to_a_parked_receiver_of_a_rendezvous_channel() {
    let (tx, rx) = chan::bounded::<&str>(0);
    let p = Probe::new();
    let mut receiver = Box::pin(rx.recv());
    assert!(p.poll(&mut receiver).is_pending());
    let mut sel = Select::new();
    sel.send(&tx, || "hi", |r| r.is_ok());
    assert_eq!(sel.try_select().ok(), Some(true));
    assert_eq!(p.wakes(), 1);
    assert_eq!(p.poll(&mut receiver), Poll::Ready(Some("hi")));
}

/// Go's nonblock.go: a counterpart blocks in a plain send or receive; this side polls
/// with `try_select` until it meets it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonblock_polling_meets_a_blocking_task() {
    const MAX_TRIES: usize = 1_000_000; // a hang guard, not a timing bound
    for cap in [0, 1, 8] {
        let (tx, rx) = chan::bounded::<i32>(cap);
        let mut sel = Select::new();
        sel.recv(&rx, |_| unreachable!("nothing was sent"));
        assert!(sel.try_select().is_err());

        let rx2 = rx.clone();
        let receiver = tokio::spawn(async move { rx2.recv().await });
        let mut tries = 0;
        loop {
            let mut sel = Select::new();
            sel.send(&tx, || 123, |r| r.unwrap());
            if sel.try_select().is_ok() {
                break;
            }
            tries += 1;
            assert!(tries < MAX_TRIES, "cap {cap}: the receiver never showed up");
            tokio::task::yield_now().await;
        }
        assert_eq!(receiver.await.unwrap(), Some(123));

        let tx2 = tx.clone();
        let mut sender = Some(tokio::spawn(async move { tx2.send(234).await }));
        if cap > 0 {
            sender.take().unwrap().await.unwrap().unwrap();
        }
        let mut tries = 0;
        let got = loop {
            let mut sel = Select::new();
            sel.recv(&rx, |v| v);
            if let Ok(v) = sel.try_select() {
                break v;
            }
            tries += 1;
            assert!(tries < MAX_TRIES, "cap {cap}: the sender never showed up");
            tokio::task::yield_now().await;
        };
        assert_eq!(got, Some(234));
        if let Some(sender) = sender {
            sender.await.unwrap().unwrap();
        }
    }
}

#[test]
fn nonblock_polling_meets_a_blocking_thread() {
    const MAX_TRIES: usize = 10_000_000; // a hang guard, not a timing bound
    for cap in [0, 1, 8] {
        let (tx, rx) = chan::bounded::<i32>(cap);
        std::thread::scope(|s| {
            let receiver = s.spawn(|| rx.recv_blocking());
            let mut tries = 0;
            loop {
                let mut sel = Select::new();
                sel.send(&tx, || 5, |r| r.unwrap());
                if sel.try_select().is_ok() {
                    break;
                }
                tries += 1;
                assert!(tries < MAX_TRIES);
                std::thread::yield_now();
            }
            assert_eq!(receiver.join().unwrap(), Some(5));

            let sender = s.spawn(|| tx.send_blocking(6));
            let mut tries = 0;
            let got = loop {
                let mut sel = Select::new();
                sel.recv(&rx, |v| v);
                if let Ok(v) = sel.try_select() {
                    break v;
                }
                tries += 1;
                assert!(tries < MAX_TRIES);
                std::thread::yield_now();
            };
            assert_eq!(got, Some(6));
            sender.join().unwrap().unwrap();
        });
    }
}

/// The guarantee `try_select` documents (it is not an atomic snapshot): a case that is
/// ready when the pass begins and stays ready is found, however the other channels churn.
#[test]
fn try_select_finds_a_case_that_stays_ready_while_others_churn() {
    let (ready_tx, ready) = chan::bounded::<u32>(1);
    ready_tx.try_send(1).unwrap();
    let churn: Vec<(Sender<u32>, Receiver<u32>)> = (0..3).map(|_| chan::bounded(1)).collect();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(SeqCst) {
                for (tx, rx) in &churn {
                    let _ = tx.try_send(0);
                    let _ = rx.try_recv();
                }
            }
        });
        for _ in 0..20_000 {
            let mut sel = Select::new();
            for (_, rx) in &churn {
                sel.recv(rx, |_| false);
            }
            sel.recv(&ready, |_| true);
            match sel.try_select() {
                Ok(true) => ready_tx.try_send(1).unwrap(),
                Ok(false) => {}
                Err(_) => panic!("a case that stayed ready was missed"),
            }
        }
        stop.store(true, SeqCst);
    });
}

// ----- select6: a select that lost on a channel does not steal a later send -----

#[test]
fn select6_a_select_completed_elsewhere_leaves_no_waiter_behind() {
    let (c1_tx, c1) = chan::bounded::<bool>(0);
    let (c2_tx, c2) = chan::bounded::<bool>(0);
    let stolen = AtomicUsize::new(0);
    let p = Probe::new();
    // G1: a plain receive waits on c1.
    let mut g1 = Box::pin(c1.recv());
    assert!(p.poll(&mut g1).is_pending());
    // G2: a select on c1 and c2 waits behind it, last in c1's queue.
    let mut sel = Select::new();
    sel.recv(&c1, |_| stolen.fetch_add(1, SeqCst));
    sel.recv(&c2, |v| {
        assert_eq!(v, Some(true));
        usize::MAX
    });
    let mut sel = sel.into_future();
    assert!(p.poll(&mut sel).is_pending());
    // G3: c2 <- true completes the select.
    c2_tx.try_send(true).unwrap();
    assert_eq!(p.poll(&mut sel), Poll::Ready(usize::MAX));
    // G2 then waits on c1 with a plain receive; main sends c1 twice.
    let mut g2 = Box::pin(c1.recv());
    assert!(p.poll(&mut g2).is_pending());
    c1_tx.try_send(true).unwrap();
    c1_tx.try_send(true).unwrap();
    assert_eq!(p.poll(&mut g1), Poll::Ready(Some(true)));
    assert_eq!(p.poll(&mut g2), Poll::Ready(Some(true)));
    assert!(matches!(
        c1_tx.try_send(true),
        Err(TrySendError::Full(true))
    ));
    drop(sel);
    assert_eq!(stolen.load(SeqCst), 0);
}

#[test]
fn select6_a_stale_entry_is_passed_by_before_its_select_runs_again() {
    for cap in [0, 1] {
        let (a_tx, a) = chan::bounded::<u32>(cap);
        let (b_tx, b) = chan::bounded::<u32>(cap);
        let p = Probe::new();
        let mut sel = Select::new();
        sel.recv(&a, |_| {
            unreachable!("cap {cap}: the select stole a later send on `a`")
        });
        sel.recv(&b, |v| v);
        let mut sel = sel.into_future();
        assert!(p.poll(&mut sel).is_pending());
        b_tx.try_send(1).unwrap(); // chooses the select's case `b`
        assert_eq!(p.wakes(), 1);
        // Not polled yet: its entry on `a` is still queued, and stale.
        if cap == 0 {
            assert!(a_tx.try_send(2).unwrap_err().is_full());
        }
        let mut later = Box::pin(a.recv());
        if cap == 1 {
            a_tx.try_send(2).unwrap(); // buffered
        } else {
            assert!(p.poll(&mut later).is_pending());
            a_tx.try_send(2).unwrap(); // handed to `later`, past the stale entry
        }
        assert_eq!(p.poll(&mut later), Poll::Ready(Some(2)));
        assert_eq!(p.poll(&mut sel), Poll::Ready(Some(1)));
        assert_eq!(a.try_recv(), Err(TryRecvError::Empty));
    }
}

/// Go's select6.go itself, with tasks: any interleaving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select6_go_shape_with_tasks() {
    for _ in 0..300 {
        let (c1_tx, c1) = chan::bounded::<bool>(0);
        let (c2_tx, c2) = chan::bounded::<bool>(0);
        let (c3_tx, c3) = chan::bounded::<bool>(0);
        let c1b = c1.clone();
        let g1 = tokio::spawn(async move { c1b.recv().await });
        let g2 = tokio::spawn(async move {
            let mut sel = Select::new();
            sel.recv(&c1, |_| panic!("dummy"));
            sel.recv(&c2, |v| assert_eq!(v, Some(true)));
            sel.await;
            c3_tx.send(true).await.unwrap();
            c1.recv().await
        });
        let g3 = tokio::spawn(async move { c2_tx.send(true).await });
        assert_eq!(c3.recv().await, Some(true));
        c1_tx.send(true).await.unwrap();
        c1_tx.send(true).await.unwrap();
        assert_eq!(g1.await.unwrap(), Some(true));
        assert_eq!(g2.await.unwrap(), Some(true));
        g3.await.unwrap().unwrap();
    }
}

// ----- select7: every way to receive meets every way to send -----

#[derive(Debug, Clone, Copy)]
enum Way {
    Plain,
    OneCase,
    TwoCases,
}

const WAYS: [Way; 3] = [Way::Plain, Way::OneCase, Way::TwoCases];

async fn recv_by(way: Way, rx: &Receiver<i32>) -> Option<i32> {
    let (_keep, never) = idle::<i32>();
    let mut sel = Select::new();
    match way {
        Way::Plain => return rx.recv().await,
        Way::OneCase => {}
        Way::TwoCases => {
            sel.recv(&never, |_| unreachable!("never ready"));
        }
    }
    sel.recv(rx, |v| v);
    sel.await
}

async fn send_by(way: Way, tx: &Sender<i32>, v: i32) {
    let (never, _keep) = idle::<i32>();
    let mut sel = Select::new();
    match way {
        Way::Plain => return tx.send(v).await.unwrap(),
        Way::OneCase => {}
        Way::TwoCases => {
            sel.send(
                &never,
                || unreachable!("lost"),
                |_| unreachable!("never ready"),
            );
        }
    }
    sel.send(tx, move || v, |r| r.unwrap());
    sel.await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select7_every_receive_shape_meets_every_send_shape() {
    for cap in [0, 1] {
        for r in WAYS {
            for s in WAYS {
                for receiver_first in [true, false] {
                    let (tx, rx) = chan::bounded::<i32>(cap);
                    let got = if receiver_first {
                        let receiver = tokio::spawn(async move { recv_by(r, &rx).await });
                        tokio::task::yield_now().await;
                        send_by(s, &tx, 1).await;
                        receiver.await.unwrap()
                    } else {
                        let sender = tokio::spawn(async move { send_by(s, &tx, 1).await });
                        tokio::task::yield_now().await;
                        let got = recv_by(r, &rx).await;
                        sender.await.unwrap();
                        got
                    };
                    assert_eq!(got, Some(1), "cap {cap}, recv {r:?}, send {s:?}");
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select7_a_blocking_select_on_a_thread_meets_every_async_send_shape() {
    for cap in [0, 1] {
        for s in WAYS {
            let (tx, rx) = chan::bounded::<i32>(cap);
            let receiver = std::thread::spawn(move || {
                let (_keep, never) = idle::<i32>();
                let mut sel = Select::new();
                sel.recv(&never, |_| unreachable!("never ready"));
                sel.recv(&rx, |v| v);
                sel.select_blocking()
            });
            send_by(s, &tx, 9).await;
            assert_eq!(receiver.join().unwrap(), Some(9), "cap {cap}, send {s:?}");
        }
    }
}

// ----- fairness and order -----

/// Go's select_fairness.go: four never-ready cases first, then two always-ready ones.
fn fairness(seed: u64, runs: usize, how: fn(Select<'_, usize>) -> usize) -> [usize; 2] {
    let never: Vec<_> = (0..4).map(|_| idle::<u8>()).collect();
    let (t1, c1) = chan::unbounded::<u8>();
    let (t2, c2) = chan::unbounded::<u8>();
    for _ in 0..runs {
        t1.try_send(1).unwrap();
        t2.try_send(2).unwrap();
    }
    select::seed(seed);
    let mut counts = [0; 2];
    for _ in 0..runs {
        let mut sel = Select::new();
        for (_, rx) in &never {
            sel.recv(rx, |_| unreachable!("never ready"));
        }
        sel.recv(&c1, |v| usize::from(v.unwrap()) - 1);
        sel.recv(&c2, |v| usize::from(v.unwrap()) - 1);
        counts[how(sel)] += 1;
    }
    assert_eq!(c1.len() + c2.len(), runs, "a losing receive took a value");
    counts
}

fn by_try(sel: Select<'_, usize>) -> usize {
    sel.try_select().expect("two cases are ready")
}

fn by_blocking(sel: Select<'_, usize>) -> usize {
    sel.select_blocking()
}

fn by_await(sel: Select<'_, usize>) -> usize {
    futures_util::FutureExt::now_or_never(sel.into_future()).expect("two cases are ready")
}

#[test]
fn select_fairness_ready_cases_after_never_ready_ones_win_evenly() {
    const RUNS: usize = 10_000;
    for seed in [1, 2, 3, 0xDEAD_BEEF, 42] {
        let ways: [fn(Select<'_, usize>) -> usize; 3] = [by_try, by_await, by_blocking];
        for how in ways {
            let counts = fairness(seed, RUNS, how);
            assert_eq!(counts[0] + counts[1], RUNS);
            for c in counts {
                assert!((4_700..=5_300).contains(&c), "seed {seed}: {counts:?}");
            }
            assert_eq!(
                fairness(seed, RUNS, how),
                counts,
                "seed {seed} is not reproducible"
            );
        }
    }
}

#[test]
fn choice_is_uniform_across_case_kinds() {
    const RUNS: usize = 9_000;
    select::seed(7);
    let (in_tx, in_rx) = chan::unbounded::<u8>();
    let (out_tx, out_rx) = chan::unbounded::<u8>();
    for _ in 0..RUNS {
        in_tx.try_send(0).unwrap();
    }
    let (_keep, quiet) = idle::<u8>();
    let mut counts = [0; 3];
    for _ in 0..RUNS {
        let mut sel = Select::new();
        sel.recv(&quiet, |_| unreachable!("never ready"));
        sel.recv(&in_rx, |_| 0);
        sel.send(&out_tx, || 1, |r| r.map_or(usize::MAX, |()| 1));
        sel.future(std::future::ready(2), |v| v);
        counts[sel.try_select().unwrap()] += 1;
    }
    assert_eq!(in_rx.len(), RUNS - counts[0]);
    assert_eq!(out_rx.len(), counts[1]);
    for c in counts {
        assert!((2_700..=3_300).contains(&c), "{counts:?}");
    }
}

#[tokio::test]
async fn biased_always_picks_the_first_ready_case() {
    let (a_tx, a) = chan::unbounded::<u32>();
    let (b_tx, b) = chan::unbounded::<u32>();
    let (out, out_rx) = chan::unbounded::<u32>();
    let (_keep, quiet) = idle::<u32>();
    let produced = AtomicUsize::new(0);
    for i in 0..1_000 {
        a_tx.try_send(i).unwrap();
        b_tx.try_send(i).unwrap();
        let mut sel = Select::biased();
        sel.recv(&quiet, |_| unreachable!("never ready"));
        sel.recv(&a, |v| v.unwrap());
        sel.recv(&b, |_| unreachable!("b is second"));
        sel.send(
            &out,
            || produced.fetch_add(1, SeqCst) as u32,
            |_| unreachable!("third"),
        );
        assert_eq!(sel.await, i);
    }
    assert_eq!(b.len(), 1_000);
    assert_eq!(produced.load(SeqCst), 0);
    assert!(out_rx.is_empty());
}

// ----- a receive case that is not chosen takes nothing -----

#[test]
fn losing_receive_cases_take_no_message() {
    select::seed(3);
    const N: u32 = 1_000;
    let (a_tx, a) = chan::unbounded::<u32>();
    let (b_tx, b) = chan::unbounded::<u32>();
    for i in 0..N {
        a_tx.try_send(i).unwrap();
        b_tx.try_send(N + i).unwrap();
    }
    let (mut from_a, mut from_b) = (Vec::new(), Vec::new());
    for _ in 0..N {
        let mut sel = Select::new();
        sel.recv(&a, |v| (0, v.unwrap()));
        sel.recv(&b, |v| (1, v.unwrap()));
        match sel.select_blocking() {
            (0, v) => from_a.push(v),
            (_, v) => from_b.push(v),
        }
    }
    assert_eq!(from_a.len() + from_b.len(), N as usize);
    let rest_a: Vec<u32> = std::iter::from_fn(|| a.try_recv().ok()).collect();
    let rest_b: Vec<u32> = std::iter::from_fn(|| b.try_recv().ok()).collect();
    assert_eq!([from_a, rest_a].concat(), (0..N).collect::<Vec<_>>());
    assert_eq!([from_b, rest_b].concat(), (N..2 * N).collect::<Vec<_>>());
}

#[test]
fn a_losing_receive_case_leaves_a_parked_rendezvous_sender_parked() {
    for seed in 0..50 {
        select::seed(seed);
        let (a_tx, a) = chan::bounded::<char>(0);
        let (b_tx, b) = chan::bounded::<char>(0);
        let p = Probe::new();
        let (mut send_a, mut send_b) = (Box::pin(a_tx.send('a')), Box::pin(b_tx.send('b')));
        assert!(p.poll(&mut send_a).is_pending());
        assert!(p.poll(&mut send_b).is_pending());
        let mut sel = Select::new();
        sel.recv(&a, |v| v.unwrap());
        sel.recv(&b, |v| v.unwrap());
        let (won, lost, mut winner, mut loser) = match sel.try_select().unwrap() {
            'a' => (&a, &b, send_a, send_b),
            _ => (&b, &a, send_b, send_a),
        };
        assert_eq!(p.poll(&mut winner), Poll::Ready(Ok(())));
        assert!(
            p.poll(&mut loser).is_pending(),
            "the losing case completed a send"
        );
        assert!(won.try_recv().is_err());
        assert!(lost.try_recv().is_ok());
        assert_eq!(p.poll(&mut loser), Poll::Ready(Ok(())));
    }
}
