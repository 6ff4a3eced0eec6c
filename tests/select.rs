//! `select!` and `select_blocking!`: every case form, lazy sends, guards, refused
//! patterns, control flow in bodies, fairness, cancellation, and the blocking form.

use std::cell::Cell;
use std::future::{Future, pending, ready};
use std::pin::pin;
use std::task::Context;
use std::time::Duration;

use futures_util::task::noop_waker_ref;
use goscope::chan::{self, SendError};
use goscope::{select, select_blocking};

// ----- case forms -----

#[tokio::test]
async fn recv_case_binds_the_value_or_none_when_closed() {
    let (tx, rx) = chan::bounded::<u32>(1);
    tx.send(7).await.unwrap();
    let got = select! { v = recv(rx) => v };
    assert_eq!(got, Some(7));
    tx.close();
    let got = select! { v = recv(rx) => v };
    assert_eq!(got, None);
}

#[tokio::test]
async fn recv_case_without_a_pattern_takes_the_value() {
    let (tx, rx) = chan::bounded::<u32>(2);
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    let ran = select! { recv(rx) => "ran" };
    assert_eq!(ran, "ran");
    assert_eq!(rx.len(), 1, "the case took one value");
    assert_eq!(rx.try_recv(), Ok(2));
}

#[tokio::test]
async fn send_case_sends_and_binds_the_result() {
    let (tx, rx) = chan::bounded::<String>(1);
    let result = select! { r = send(tx, "hi".to_owned()) => r };
    assert_eq!(result, Ok(()));
    assert_eq!(rx.try_recv().as_deref(), Ok("hi"));

    select! { send(tx, "again".to_owned()) => {} }
    assert_eq!(rx.try_recv().as_deref(), Ok("again"));
}

#[tokio::test]
async fn send_case_on_a_closed_channel_gives_the_value_back() {
    let (tx, rx) = chan::bounded::<String>(1);
    rx.close();
    let back = select! {
        Err(SendError(v)) = send(tx, "kept".to_owned()) => v,
    };
    assert_eq!(back, "kept");
}

#[tokio::test]
async fn future_case_binds_its_output() {
    let n = select! {
        n = async { 40 + 2 } => n,
    };
    assert_eq!(n, 42);
    // Anything `IntoFuture`: a task.
    let task = goscope::go(async { "from a task" });
    let out = select! { r = task => r.unwrap() };
    assert_eq!(out, "from a task");
}

#[tokio::test(start_paused = true)]
async fn after_case_fires_once_the_duration_has_passed() {
    let (_tx, rx) = chan::bounded::<u32>(0);
    let start = tokio::time::Instant::now();
    let outcome = select! {
        v = recv(rx) => format!("got {v:?}"),
        _ = after(Duration::from_millis(250)) => "timeout".to_owned(),
    };
    assert_eq!(outcome, "timeout");
    assert_eq!(start.elapsed(), Duration::from_millis(250));
}

#[tokio::test]
async fn default_runs_when_no_case_is_ready_and_only_then() {
    let (tx, rx) = chan::bounded::<u32>(1);
    let first = select! { v = recv(rx) => v, default => Some(0) };
    assert_eq!(first, Some(0));
    tx.send(5).await.unwrap();
    let second = select! { v = recv(rx) => v, default => Some(0) };
    assert_eq!(second, Some(5));
}

#[test]
fn default_makes_select_usable_outside_async_code() {
    let (tx, rx) = chan::bounded::<u32>(1);
    let full = |v| select! { send(tx, v) => true, default => false };
    assert!(full(1));
    assert!(!full(2), "the buffer is full: default runs");
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(rx.try_recv().is_err(), "the losing send sent nothing");
}

#[tokio::test]
async fn only_default_runs_default() {
    let out = select! { default => 3 };
    assert_eq!(out, 3);
}

#[tokio::test]
async fn biased_takes_the_first_ready_case_in_order() {
    let (a_tx, a) = chan::bounded::<&str>(1);
    let (b_tx, b) = chan::bounded::<&str>(1);
    for _ in 0..100 {
        a_tx.try_send("a").unwrap();
        b_tx.try_send("b").unwrap();
        let first = select! { biased; v = recv(b) => v, v = recv(a) => v };
        assert_eq!(first, Some("b"));
        assert_eq!(a.try_recv(), Ok("a"), "the losing case took nothing");
        assert_eq!(b.try_recv().ok(), None);
    }
}

// ----- laziness and guards -----

#[tokio::test]
async fn a_losing_send_computes_and_moves_nothing() {
    let (out, out_rx) = chan::bounded::<String>(0); // nobody receives: never ready
    let (in_tx, inbox) = chan::bounded::<u32>(1);
    let computed = Cell::new(0);
    let mut pending = Some("kept".to_owned());
    for i in 0..50 {
        in_tx.try_send(i).unwrap();
        select! {
            send(out, { computed.set(computed.get() + 1); pending.take().unwrap() }), if pending.is_some() => {
                unreachable!("nobody receives")
            }
            Some(v) = recv(inbox) => assert_eq!(v, i),
        }
    }
    assert_eq!(computed.get(), 0, "the send's value was never computed");
    assert_eq!(pending.as_deref(), Some("kept"), "nor moved");
    drop(out_rx);
}

#[tokio::test]
async fn the_retry_idiom_sends_the_pending_value_exactly_once() {
    let (out, out_rx) = chan::bounded::<u32>(1);
    let (ticks_tx, ticks) = chan::bounded::<()>(64);
    let mut sent = Vec::new();
    let mut pending: Option<u32> = None;
    let mut next = 0;
    while sent.len() < 20 {
        if pending.is_none() {
            pending = Some(next);
            next += 1;
        }
        ticks_tx.try_send(()).ok();
        select! {
            send(out, pending.take().unwrap()), if pending.is_some() => {
                sent.push(out_rx.try_recv().unwrap());
            }
            _ = recv(ticks) => {}
        }
    }
    assert_eq!(
        sent,
        (0..20).collect::<Vec<_>>(),
        "every value once, in order"
    );
}

#[tokio::test]
async fn a_false_guard_evaluates_nothing_of_its_case() {
    let (_tx, rx) = chan::bounded::<u32>(1);
    let evaluated = Cell::new(false);
    let chan_expr = || {
        evaluated.set(true);
        &rx
    };
    let out = select! {
        v = recv(chan_expr()), if false => v,
        _ = async {} => Some(1),
    };
    assert_eq!(out, Some(1));
    assert!(
        !evaluated.get(),
        "the channel expression of a disabled case is not evaluated"
    );

    let made = Cell::new(false);
    let out = select! {
        _ = { made.set(true); async {} }, if false => 0,
        default => 1,
    };
    assert_eq!(out, 1);
    assert!(
        !made.get(),
        "the future expression of a disabled case is not evaluated"
    );
}

#[tokio::test]
async fn channels_are_borrowed_so_a_loop_needs_no_clones() {
    let (tx, rx) = chan::bounded::<u32>(4);
    let mut total = 0;
    for i in 0..10 {
        select! {
            send(tx, i) => {}
        }
        select! {
            Some(v) = recv(rx) => total += v,
            Some(v) = recv(&rx) => total += v,
        }
    }
    assert_eq!(total, 45);
    drop((tx, rx)); // still ours
}

// ----- patterns -----

#[tokio::test]
async fn a_refused_pattern_disables_the_case_and_the_select_waits_on() {
    let (done_tx, done) = chan::bounded::<u32>(0);
    let (later_tx, later) = chan::bounded::<&str>(1);
    done_tx.close(); // `Some(_) = recv(done)` is refused: None
    let waiter = goscope::go(async move {
        select! {
            Some(v) = recv(done) => format!("done {v}"),
            Some(msg) = recv(later) => format!("later {msg}"),
        }
    });
    tokio::task::yield_now().await;
    later_tx.send("came").await.unwrap();
    assert_eq!(waiter.await.unwrap(), "later came");
}

#[tokio::test]
async fn a_refused_future_output_disables_that_case() {
    let (tx, rx) = chan::bounded::<u32>(1);
    let out = goscope::go(async move {
        select! {
            Ok(v) = async { Err::<u32, &str>("nope") } => v,
            Some(v) = recv(rx) => v + 100,
        }
    });
    tokio::task::yield_now().await;
    tx.send(1).await.unwrap();
    assert_eq!(out.await.unwrap(), 101);
}

#[tokio::test]
#[should_panic(expected = "every case of this `select!` is disabled")]
async fn every_case_disabled_without_default_panics() {
    let (_tx, rx) = chan::bounded::<u32>(1);
    let enabled = false;
    select! {
        v = recv(rx), if enabled => assert!(v.is_some()),
    }
}

#[tokio::test]
#[should_panic(expected = "every case of this `select!` is disabled")]
async fn every_pattern_refused_without_default_panics() {
    let (tx, rx) = chan::bounded::<u32>(1);
    tx.close();
    select! {
        Some(v) = recv(rx) => assert!(v > 0),
    }
}

#[tokio::test]
async fn every_case_disabled_with_default_runs_default() {
    let (tx, rx) = chan::bounded::<u32>(1);
    tx.close();
    let out = select! {
        Some(v) = recv(rx) => v,
        default => 9,
    };
    assert_eq!(out, 9);
}

#[tokio::test]
async fn patterns_bind_mutably_and_destructure() {
    let (tx, rx) = chan::bounded::<(u32, Vec<u32>)>(1);
    tx.send((2, vec![1])).await.unwrap();
    let out = select! {
        Some((n, mut list)) = recv(rx) => {
            list.push(n);
            list
        }
    };
    assert_eq!(out, [1, 2]);
    #[derive(Debug, PartialEq)]
    struct Point {
        x: i32,
        y: i32,
    }
    let p = select! {
        Point { x, y: yy } = async { Point { x: 1, y: 2 } } => (x, yy),
    };
    assert_eq!(p, (1, 2));
    let alt = select! {
        (0 | 1, v) | (v, _) = async { (5, 6) } => v,
    };
    assert_eq!(alt, 5);
}

// ----- control flow in bodies -----

#[tokio::test]
async fn bodies_break_and_continue_the_enclosing_loop() {
    let (tx, rx) = chan::bounded::<u32>(8);
    for v in [1, 2, 3, 4, 99, 5] {
        tx.send(v).await.unwrap();
    }
    let mut seen = Vec::new();
    loop {
        select! {
            Some(v) = recv(rx) => {
                if v % 2 == 0 {
                    continue;
                }
                if v == 99 {
                    break;
                }
                seen.push(v);
            }
        }
    }
    assert_eq!(seen, [1, 3]);
    assert_eq!(rx.try_recv(), Ok(5));
}

#[tokio::test]
async fn labelled_break_leaves_the_outer_loop() {
    let (tx, rx) = chan::bounded::<u32>(4);
    tx.send(1).await.unwrap();
    let mut rounds = 0;
    'outer: for _ in 0..3 {
        for _ in 0..3 {
            rounds += 1;
            select! {
                Some(_) = recv(rx) => break 'outer,
                default => {}
            }
        }
    }
    assert_eq!(rounds, 1);
}

async fn first_even(rx: &chan::Receiver<u32>) -> Result<u32, String> {
    loop {
        select! {
            v = recv(rx) => {
                let v = v.ok_or_else(|| "closed".to_owned())?;
                if v % 2 == 0 {
                    return Ok(v);
                }
            }
        }
    }
}

#[tokio::test]
async fn bodies_return_and_propagate_errors_from_the_enclosing_fn() {
    let (tx, rx) = chan::bounded::<u32>(4);
    for v in [1, 3, 4] {
        tx.send(v).await.unwrap();
    }
    assert_eq!(first_even(&rx).await, Ok(4));
    tx.send(5).await.unwrap();
    drop(tx);
    assert_eq!(first_even(&rx).await, Err("closed".to_owned()));
}

// ----- fairness -----

#[tokio::test]
async fn ready_cases_are_chosen_uniformly_past_never_ready_ones() {
    goscope::select::seed(0x5e1ec7);
    let (_n1, never1) = chan::bounded::<u32>(0);
    let (_n2, never2) = chan::bounded::<u32>(0);
    let (a_tx, a) = chan::bounded::<u32>(1);
    let (b_tx, b) = chan::bounded::<u32>(1);
    let mut counts = [0u32; 2];
    const N: u32 = 10_000;
    for _ in 0..N {
        a_tx.try_send(0).ok();
        b_tx.try_send(1).ok();
        let k = select! {
            v = recv(never1) => v.unwrap(),
            v = recv(never2) => v.unwrap(),
            _ = pending::<()>() => unreachable!(),
            v = recv(a) => v.unwrap(),
            v = recv(b) => v.unwrap(),
        };
        counts[k as usize] += 1;
    }
    for c in counts {
        let share = f64::from(c) / f64::from(N);
        assert!((0.47..=0.53).contains(&share), "{counts:?}");
    }
}

// ----- rendezvous pairs and cancellation -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selects_on_opposite_ends_of_a_rendezvous_channel_pair_up() {
    let (tx, rx) = chan::bounded::<u32>(0);
    let (_idle_tx, idle) = chan::bounded::<u32>(0);
    let sender = {
        let (tx, idle) = (tx.clone(), idle.clone());
        goscope::go(async move {
            for i in 0..1_000 {
                select! {
                    send(tx, i) => {}
                    _ = recv(idle) => unreachable!(),
                }
            }
        })
    };
    let mut got = Vec::new();
    for _ in 0..1_000 {
        select! {
            Some(v) = recv(rx) => got.push(v),
            _ = recv(idle) => unreachable!(),
        }
    }
    sender.await.unwrap();
    assert_eq!(got, (0..1_000).collect::<Vec<_>>());
    drop(tx);
}

#[tokio::test]
async fn a_dropped_select_takes_and_sends_nothing() {
    let (tx, rx) = chan::bounded::<u32>(0);
    let (out, out_rx) = chan::bounded::<u32>(0);
    let computed = Cell::new(0);
    {
        let mut fut = pin!(async {
            select! {
                v = recv(rx) => v,
                send(out, { computed.set(computed.get() + 1); 1 }) => None,
            }
        });
        let mut cx = Context::from_waker(noop_waker_ref());
        assert!(
            fut.as_mut().poll(&mut cx).is_pending(),
            "parked on both channels"
        );
    } // dropped while parked
    // Nothing of the dropped select is left in either channel.
    assert_eq!(tx.try_send(3), Err(chan::TrySendError::Full(3)));
    assert!(out_rx.try_recv().is_err());
    assert_eq!(computed.get(), 0);
}

#[tokio::test]
async fn futures_of_losing_cases_are_dropped_before_the_body_runs() {
    let (signal_tx, signal_rx) = tokio::sync::oneshot::channel();
    let guard = goscope_tests::DropSignal(Some(signal_tx));
    let mut signal_rx = signal_rx;
    select! {
        _ = async move { let _guard = guard; pending::<()>().await } => unreachable!(),
        _ = ready(()) => {
            assert!(signal_rx.try_recv().is_ok(), "the losing future is already dropped");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_select_future_is_send() {
    let (tx, rx) = chan::bounded::<u32>(0);
    let task = tokio::spawn(async move {
        select! {
            Some(v) = recv(rx) => v,
            _ = after(Duration::from_secs(60)) => 0,
        }
    });
    tx.send(8).await.unwrap();
    assert_eq!(task.await.unwrap(), 8);
}

// ----- select_blocking! -----

#[test]
fn select_blocking_waits_on_a_plain_thread() {
    let (tx, rx) = chan::bounded::<u32>(0);
    let (quit_tx, quit) = chan::bounded::<()>(0);
    let worker = std::thread::spawn(move || {
        let mut sum = 0;
        loop {
            select_blocking! {
                Some(v) = recv(rx) => sum += v,
                _ = recv(quit) => return sum,
            }
        }
    });
    for v in 1..=10 {
        tx.send_blocking(v).unwrap();
    }
    quit_tx.send_blocking(()).unwrap();
    assert_eq!(worker.join().unwrap(), 55);
}

#[test]
fn select_blocking_after_times_out_without_a_runtime() {
    let (_tx, rx) = chan::bounded::<u32>(0);
    let out = select_blocking! {
        v = recv(rx) => v,
        _ = after(Duration::from_millis(20)) => Some(0),
    };
    assert_eq!(out, Some(0));
}

#[test]
fn select_blocking_mixes_with_async_ends() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (tx, rx) = chan::bounded::<u32>(0);
    let producer = rt.spawn(async move {
        for v in 0..100 {
            tx.send(v).await.unwrap();
        }
    });
    let mut got = Vec::new();
    loop {
        select_blocking! {
            v = recv(rx) => match v {
                Some(v) => got.push(v),
                None => break, // the producer finished and dropped its sender
            },
        }
    }
    assert_eq!(got, (0..100).collect::<Vec<_>>());
    rt.block_on(producer).unwrap();
}

// ----- default is linearizable (Go's TestNonblockSelectRace) -----

/// At every instant one of `c1`, `c2` holds a value (`c1` is filled before the helper's
/// select starts; the main thread fills `c2` before it takes one of them), so a `select!`
/// with `default` must always find one: `default` runs only when nothing is ready at one
/// instant, not merely when each channel was empty at the moment it was tried.
#[test]
fn default_never_runs_while_some_case_is_ready() {
    type Pair = (chan::Receiver<u32>, chan::Receiver<u32>);
    let (work_tx, work) = chan::bounded::<Pair>(0);
    let (done_tx, done) = chan::bounded::<bool>(1);
    let helper = std::thread::spawn(move || {
        for (c1, c2) in &work {
            let found = select! {
                _ = recv(c1) => true,
                _ = recv(c2) => true,
                default => false,
            };
            done_tx.send_blocking(found).unwrap();
        }
    });
    for i in 0..20_000 {
        let (c1_tx, c1) = chan::bounded::<u32>(1);
        let (c2_tx, c2) = chan::bounded::<u32>(1);
        c1_tx.try_send(1).unwrap();
        work_tx.send_blocking((c1.clone(), c2.clone())).unwrap();
        c2_tx.try_send(1).unwrap();
        select_blocking! {
            _ = recv(c1) => {}
            _ = recv(c2) => {}
        }
        assert!(
            done.recv_blocking().unwrap(),
            "iteration {i}: default ran with a case ready"
        );
    }
    drop(work_tx);
    helper.join().unwrap();
}

/// The same race, made deterministic: a future case, polled between the two channel
/// cases of a biased `select!`, does what the other thread did in the race — it fills
/// `c2`, already tried and found empty, and empties `c1`, not yet tried. At no instant
/// was neither ready, so `default` must not run: the pass sees `c2` changed and goes again.
#[test]
fn default_sees_a_channel_that_became_ready_during_its_pass() {
    let (c1_tx, c1) = chan::bounded::<u32>(1);
    let (c2_tx, c2) = chan::bounded::<u32>(1);
    c1_tx.try_send(1).unwrap();
    let mut meddled = false;
    let meddle = std::future::poll_fn(|_| {
        if !meddled {
            meddled = true;
            c2_tx.try_send(2).unwrap();
            assert_eq!(c1.try_recv(), Ok(1));
        }
        std::task::Poll::<()>::Pending
    });
    let got = select! {
        biased;
        v = recv(c2) => v,
        _ = meddle => unreachable!("it never completes"),
        v = recv(c1) => v,
        default => None,
    };
    assert_eq!(got, Some(2));
}

// ----- seeds, time-outs, cancellation at every poll, a mixed exactly-once run -----

#[tokio::test]
async fn seeded_selects_are_reproducible() {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..4).map(|_| chan::bounded::<usize>(64)).unzip();
    let run = || {
        for (i, tx) in txs.iter().enumerate() {
            while tx.try_send(i).is_ok() {}
        }
        (0..50)
            .map(|_| {
                select! {
                    v = recv(rxs[0]) => v,
                    v = recv(rxs[1]) => v,
                    v = recv(rxs[2]) => v,
                    v = recv(rxs[3]) => v,
                    default => None,
                }
                .unwrap()
            })
            .collect::<Vec<_>>()
    };
    goscope::select::seed(42);
    let first = run();
    goscope::select::seed(42);
    let again = run();
    goscope::select::seed(43);
    let other = run();
    assert_eq!(first, again);
    assert_ne!(first, other, "another seed, another sequence");
    assert!((0..4).all(|i| first.contains(&i)), "{first:?}");
}

#[tokio::test(start_paused = true)]
async fn a_go_style_time_out_loop() {
    let (tx, rx) = chan::bounded::<u32>(0);
    let start = tokio::time::Instant::now();
    goscope::go(async move {
        for v in 1..=3 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            tx.send(v).await.unwrap();
        }
        tokio::time::sleep(Duration::from_secs(3600)).await; // keeps `tx` open
    })
    .detach();
    let mut got = Vec::new();
    let timed_out_at = loop {
        select! {
            Some(v) = recv(rx) => got.push(v),
            _ = after(Duration::from_millis(50)) => break start.elapsed(),
        }
    };
    assert_eq!(got, [1, 2, 3]);
    // The last value came at 30 ms; the timer of the select after it fired 50 ms later.
    assert_eq!(timed_out_at, Duration::from_millis(80));
}

/// A consumer drops its `select!` after k polls, for every k in 0..4, over and over, while
/// a producer sends on `data` and a sink receives from `out`: no value sent on `data` is
/// lost or duplicated, and every value the consumer's send case delivered on `out` counts
/// exactly once (a dropped select sent nothing).
#[tokio::test]
async fn dropping_a_pending_select_at_every_poll_loses_nothing() {
    const M: u32 = 2_000;
    let (data_tx, data) = chan::bounded::<u32>(0);
    let (out, out_rx) = chan::bounded::<u32>(0);
    let producer = goscope::go(async move {
        for v in 0..M {
            data_tx.send(v).await.unwrap();
        }
    });
    let sink = goscope::go(async move {
        let mut seen = Vec::new();
        while let Some(v) = out_rx.recv().await {
            seen.push(v);
        }
        seen
    });
    let mut received = Vec::new();
    let mut next_out = 0u32;
    let mut round = 0u32;
    let (data_ref, out_ref) = (&data, &out);
    while received.len() < M as usize {
        round += 1;
        assert!(
            round < 50 * M,
            "stalled: {} of {M} received",
            received.len()
        );
        let polls = round % 4;
        let value = next_out;
        // The select future lives in this block: dropped, pending or not, at its end.
        let outcome = {
            let mut fut = pin!(async move {
                select! {
                    v = recv(data_ref) => Ok(v.unwrap()),
                    send(out_ref, value) => Err(()),
                }
            });
            let mut outcome = None;
            for _ in 0..polls {
                if let std::task::Poll::Ready(o) =
                    std::future::poll_fn(|cx| std::task::Poll::Ready(fut.as_mut().poll(cx))).await
                {
                    outcome = Some(o);
                    break;
                }
                tokio::task::yield_now().await;
            }
            outcome
        };
        match outcome {
            Some(Ok(v)) => received.push(v),
            Some(Err(())) => next_out += 1,
            None => tokio::task::yield_now().await,
        }
    }
    producer.await.unwrap();
    drop(out);
    let seen = sink.await.unwrap();
    received.sort_unstable();
    assert_eq!(received, (0..M).collect::<Vec<_>>(), "every value once");
    assert_eq!(
        seen,
        (0..next_out).collect::<Vec<_>>(),
        "every send once, in order"
    );
    assert!(next_out > 0, "the send case won sometimes");
}

/// Four producers select-send on two channels (retrying a pending value, with a timer
/// case and a future case mixed in); four consumers select-receive from both (with a
/// timer case). Every value arrives exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_cases_deliver_every_value_exactly_once() {
    const M: u32 = 20_000;
    let (a_tx, a) = chan::bounded::<u32>(0);
    let (b_tx, b) = chan::bounded::<u32>(4);
    let producers: Vec<_> = (0..4u32)
        .map(|p| {
            let (a_tx, b_tx) = (a_tx.clone(), b_tx.clone());
            goscope::go(async move {
                let mut values = (p..M).step_by(4);
                let mut pending = values.next();
                let mut ticks = 0u32;
                // Two send cases of one value: each copies it, only the chosen one runs.
                while let Some(v) = pending {
                    select! {
                        send(a_tx, v) => pending = values.next(),
                        send(b_tx, v) => pending = values.next(),
                        _ = after(Duration::from_micros(50)) => ticks += 1,
                        _ = std::future::ready(()), if ticks % 7 == 3 => ticks += 1,
                    }
                }
            })
        })
        .collect();
    drop((a_tx, b_tx));
    let consumers: Vec<_> = (0..4)
        .map(|_| {
            let (a, b) = (a.clone(), b.clone());
            goscope::go(async move {
                let mut got = Vec::new();
                let (mut a_open, mut b_open) = (true, true);
                while a_open || b_open {
                    select! {
                        v = recv(a), if a_open => match v {
                            Some(v) => got.push(v),
                            None => a_open = false,
                        },
                        v = recv(b), if b_open => match v {
                            Some(v) => got.push(v),
                            None => b_open = false,
                        },
                        _ = after(Duration::from_micros(50)) => {}
                    }
                }
                got
            })
        })
        .collect();
    for p in producers {
        p.await.unwrap();
    }
    let mut all = Vec::new();
    for c in consumers {
        all.extend(c.await.unwrap());
    }
    all.sort_unstable();
    assert_eq!(all, (0..M).collect::<Vec<_>>());
}
