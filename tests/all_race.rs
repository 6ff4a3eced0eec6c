//! `all!`, `race!` and the functions over sets: concurrency (in virtual time), output
//! order, `?` early return and what it drops, losers dropped and losing tasks stopped,
//! `ok:` and `timeout`, `settle` with a panic, fail-fast over 1,000 futures, and how many
//! polls a wake-up costs.

use std::future::{Future, pending};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use goscope::{Error, all, race};
use goscope_tests::{DropSignal, Drops, Probe, hook};
use tokio::time::{Instant, sleep};

async fn after_ms<T>(ms: u64, value: T) -> T {
    sleep(Duration::from_millis(ms)).await;
    value
}

#[derive(Debug, PartialEq)]
enum AppError {
    NotFound(u32),
    Io(&'static str),
}

#[derive(Debug, PartialEq)]
struct LowLevel(&'static str);

impl From<LowLevel> for AppError {
    fn from(e: LowLevel) -> Self {
        AppError::Io(e.0)
    }
}

// ===== all! =====

#[tokio::test(start_paused = true)]
async fn all_runs_branches_concurrently() {
    let start = Instant::now();
    let (a, b) = all!(after_ms(100, "a"), after_ms(100, "b"));
    assert_eq!((a, b), ("a", "b"));
    assert_eq!(start.elapsed(), Duration::from_millis(100));
}

#[tokio::test(start_paused = true)]
async fn all_outputs_come_in_branch_order_whatever_order_they_finish_in() {
    let (slow, quick, middle) = all!(after_ms(30, 1), after_ms(10, "two"), after_ms(20, 3.0));
    assert_eq!((slow, quick, middle), (1, "two", 3.0));
}

#[tokio::test]
async fn all_takes_one_two_twelve_and_thirty_branches() {
    let one = all!(async { 1 });
    assert_eq!(one, (1,));
    let two = all!(async { 1 }, async { "b" });
    assert_eq!(two, (1, "b"));
    let twelve = all!(
        async { 0 },
        async { 1 },
        async { 2 },
        async { 3 },
        async { 4 },
        async { 5 },
        async { 6 },
        async { 7 },
        async { 8 },
        async { 9 },
        async { 10 },
        async { 11 },
    );
    assert_eq!(twelve, (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
    let y = |n: u32| async move {
        tokio::task::yield_now().await;
        n
    };
    let thirty = all!(
        y(0),
        y(1),
        y(2),
        y(3),
        y(4),
        y(5),
        y(6),
        y(7),
        y(8),
        y(9),
        y(10),
        y(11),
        y(12),
        y(13),
        y(14),
        y(15),
        y(16),
        y(17),
        y(18),
        y(19),
        y(20),
        y(21),
        y(22),
        y(23),
        y(24),
        y(25),
        y(26),
        y(27),
        y(28),
        y(29),
    );
    assert_eq!(thirty.0 + thirty.29, 29);
    assert_eq!((thirty.12, thirty.17, thirty.28), (12, 17, 28));
}

#[tokio::test]
async fn all_branches_may_borrow() {
    let names = ["ada".to_owned(), "grace".to_owned()];
    let (count, first) = all!(async { names.len() }, async { names[0].as_str() });
    assert_eq!((count, first), (2, "ada"));
}

#[tokio::test(start_paused = true)]
async fn a_question_branch_error_returns_early_drops_the_siblings_and_converts() {
    let drops = Drops::default();
    async fn load(drops: &Drops) -> Result<(u32, String), AppError> {
        let guard = drops.guard();
        let (user, posts, name) = all!(
            async {
                sleep(Duration::from_millis(10)).await;
                Err::<u32, _>(LowLevel("disk gone"))
            }?,
            async move {
                let _guard = guard;
                sleep(Duration::from_secs(3600)).await;
                vec![1, 2]
            },
            async { Ok::<_, AppError>("n".to_owned()) }?,
        );
        Ok((user + posts.len() as u32, name))
    }
    let start = Instant::now();
    let out = load(&drops).await;
    assert_eq!(out, Err(AppError::Io("disk gone")));
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(10),
        "it did not wait for the slow one"
    );
    assert_eq!(drops.count(), 1, "the pending sibling was dropped");
}

#[tokio::test]
async fn unmarked_branches_give_their_raw_output() {
    async fn run() -> Result<(Result<u32, AppError>, u32), AppError> {
        let (raw, ok) = all!(async { Err::<u32, _>(AppError::NotFound(1)) }, async {
            Ok::<u32, AppError>(2)
        }?,);
        Ok((raw, ok))
    }
    assert_eq!(run().await, Ok((Err(AppError::NotFound(1)), 2)));
}

#[tokio::test]
async fn a_panicking_branch_drops_the_others_and_unwinds() {
    let drops = Drops::default();
    let guard_a = drops.guard();
    let guard_b = drops.guard();
    let task = goscope::go(async move {
        let _ = all!(
            async move {
                let _g = guard_a;
                pending::<()>().await
            },
            async {
                tokio::task::yield_now().await;
                panic!("branch exploded")
            },
            async move {
                let _g = guard_b;
                pending::<()>().await
            },
        );
    });
    match task.await {
        Err(Error::Panicked(p)) => assert_eq!(p.message(), Some("branch exploded")),
        other => panic!("expected the panic, got {other:?}"),
    }
    assert_eq!(
        drops.count(),
        2,
        "both siblings were dropped by the unwinding"
    );
}

#[test]
fn all_polls_each_branch_once_per_poll_and_never_a_finished_one() {
    let polls = [Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0))];
    let counted = |i: usize, ready_at: usize| {
        let polls = polls[i].clone();
        std::future::poll_fn(move |cx| {
            let n = polls.fetch_add(1, Ordering::SeqCst) + 1;
            if n >= ready_at {
                Poll::Ready(i)
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
    };
    let probe = Probe::new();
    let mut fut = Box::pin(async { all!(counted(0, 1), counted(1, 3)) });
    assert!(probe.poll(&mut fut).is_pending());
    assert!(probe.poll(&mut fut).is_pending());
    assert_eq!(probe.poll(&mut fut), Poll::Ready((0, 1)));
    assert_eq!(
        polls[0].load(Ordering::SeqCst),
        1,
        "a finished branch is not polled again"
    );
    assert_eq!(polls[1].load(Ordering::SeqCst), 3);
}

// ===== race! =====

#[tokio::test(start_paused = true)]
async fn race_returns_the_first_and_drops_the_losers() {
    let (tx_a, rx_a) = tokio::sync::oneshot::channel();
    let (tx_c, rx_c) = tokio::sync::oneshot::channel();
    let start = Instant::now();
    let first = race!(
        async move {
            let _signal = DropSignal(Some(tx_a));
            after_ms(50, "a").await
        },
        after_ms(20, "b"),
        async move {
            let _signal = DropSignal(Some(tx_c));
            after_ms(90, "c").await
        },
    );
    assert_eq!(first, "b");
    assert_eq!(start.elapsed(), Duration::from_millis(20));
    // Dropped by the time `race!` evaluated to its value: the signals are already sent.
    assert_eq!(rx_a.await, Ok(()));
    assert_eq!(rx_c.await, Ok(()));
}

#[goscope::go]
async fn ticking(ticks: Arc<AtomicUsize>, ms: u64) -> &'static str {
    loop {
        sleep(Duration::from_millis(ms)).await;
        ticks.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn racing_go_tasks_cancels_the_losing_task() {
    let ticks = Arc::new(AtomicUsize::new(0));
    let winner = race!(
        goscope::go(async {
            sleep(Duration::from_millis(25)).await;
            "quick"
        }),
        ticking(ticks.clone(), 10),
    );
    assert_eq!(winner.unwrap(), "quick");
    let at_the_end = ticks.load(Ordering::SeqCst);
    assert_eq!(at_the_end, 2);
    // The loser was cancelled: an hour later it has not ticked again.
    sleep(Duration::from_secs(3600)).await;
    assert_eq!(
        ticks.load(Ordering::SeqCst),
        at_the_end,
        "the losing task stopped"
    );
}

#[tokio::test(start_paused = true)]
async fn race_ok_returns_the_first_ok_skipping_errors() {
    let start = Instant::now();
    let hit = race!(ok:
        async { Err::<&str, _>(AppError::NotFound(1)) },
        after_ms(30, Ok("db")),
        after_ms(80, Ok("api")),
    );
    assert_eq!(hit, Ok("db"));
    assert_eq!(start.elapsed(), Duration::from_millis(30));
}

#[tokio::test(start_paused = true)]
async fn race_ok_with_every_branch_failing_returns_the_last_failure() {
    let miss: Result<u32, AppError> = race!(ok:
        after_ms(30, Err(AppError::NotFound(30))),
        after_ms(10, Err(AppError::NotFound(10))),
        after_ms(20, Err(AppError::NotFound(20))),
    );
    assert_eq!(
        miss,
        Err(AppError::NotFound(30)),
        "the last to fail, in time"
    );
}

#[tokio::test(start_paused = true)]
async fn race_timeout_gives_the_winner_or_timed_out() {
    let quick = race!(
        timeout = Duration::from_millis(100),
        after_ms(40, 1),
        after_ms(60, 2)
    );
    assert_eq!(quick.unwrap(), 1);

    let start = Instant::now();
    let late = race!(
        timeout = Duration::from_millis(30),
        after_ms(40, 1),
        after_ms(60, 2)
    );
    assert!(matches!(late, Err(Error::TimedOut(d)) if d == Duration::from_millis(30)));
    assert_eq!(start.elapsed(), Duration::from_millis(30));

    let hit = race!(ok: timeout = Duration::from_millis(30),
        after_ms(10, Err::<u32, _>("miss")),
        after_ms(20, Ok(7)),
    );
    assert_eq!(hit.unwrap(), Ok(7));
}

#[test]
fn race_picks_among_ready_branches_at_random_unless_biased() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        goscope::select::seed(7);
        let mut wins = [0usize; 3];
        for _ in 0..300 {
            let w = race!(async { 0 }, async { 1 }, async { 2 });
            wins[w] += 1;
        }
        assert!(
            wins.iter().all(|&w| w > 50),
            "every ready branch wins sometimes: {wins:?}"
        );
        for _ in 0..50 {
            assert_eq!(race!(biased; async { 0 }, async { 1 }, async { 2 }), 0);
        }
    });
}

#[tokio::test]
async fn race_branches_may_borrow_and_one_branch_is_enough() {
    let word = String::from("borrowed");
    assert_eq!(race!(async { word.len() }), 8);
}

// ===== functions over sets =====

#[tokio::test(start_paused = true)]
async fn all_fn_keeps_input_order_and_runs_concurrently() {
    let start = Instant::now();
    let out = goscope::all([30u64, 10, 20].map(|ms| after_ms(ms, ms))).await;
    assert_eq!(out, [30, 10, 20]);
    assert_eq!(start.elapsed(), Duration::from_millis(30));
    let empty: Vec<u32> = goscope::all(Vec::<std::future::Ready<u32>>::new()).await;
    assert!(empty.is_empty());
}

#[tokio::test(start_paused = true)]
async fn try_all_fails_fast_over_a_thousand_futures() {
    let drops = Drops::default();
    let start = Instant::now();
    let futures: Vec<_> = (0..1000u32)
        .map(|i| {
            let guard = drops.guard();
            async move {
                let _guard = guard;
                if i == 500 {
                    sleep(Duration::from_millis(5)).await;
                    return Err(AppError::NotFound(i));
                }
                sleep(Duration::from_secs(60)).await;
                Ok(i)
            }
        })
        .collect();
    let out = goscope::try_all(futures).await;
    assert_eq!(out, Err(AppError::NotFound(500)));
    assert_eq!(start.elapsed(), Duration::from_millis(5));
    assert_eq!(
        drops.count(),
        1000,
        "every future was dropped by the return"
    );

    let fine = goscope::try_all((0..1000u32).map(|i| async move { Ok::<_, AppError>(i) })).await;
    assert_eq!(fine.unwrap(), (0..1000).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn race_fn_and_race_ok_fn() {
    let first = goscope::race([after_ms(30, "a"), after_ms(10, "b")]).await;
    assert_eq!(first, "b");
    let ok = goscope::race_ok([
        after_ms(5, Err("cache miss")),
        after_ms(20, Ok("db")),
        after_ms(40, Ok("api")),
    ])
    .await;
    assert_eq!(ok, Ok("db"));
    let all_bad: Result<u32, &str> =
        goscope::race_ok([after_ms(20, Err("late")), after_ms(5, Err("early"))]).await;
    assert_eq!(all_bad, Err("late"));
}

#[test]
fn race_fn_of_nothing_panics_with_the_fix() {
    let err = std::panic::catch_unwind(|| {
        drop(goscope::race(Vec::<std::future::Ready<u32>>::new()));
    })
    .unwrap_err();
    let message = err.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(message.contains("pass at least one"), "{message}");
}

#[tokio::test]
async fn settle_keeps_every_outcome_including_a_panic() {
    hook::install();
    let jobs = (0..4u32).map(|i| async move {
        tokio::task::yield_now().await;
        if i == 2 {
            panic!("settle slot 2 exploded");
        }
        i * 10
    });
    let outcomes = goscope::settle(jobs).await;
    assert_eq!(outcomes.len(), 4);
    assert_eq!(outcomes[0].as_ref().ok(), Some(&0));
    assert_eq!(outcomes[1].as_ref().ok(), Some(&10));
    match &outcomes[2] {
        Err(Error::Panicked(p)) => assert_eq!(p.message(), Some("settle slot 2 exploded")),
        other => panic!("expected the panic in slot 2, got {other:?}"),
    }
    assert_eq!(outcomes[3].as_ref().ok(), Some(&30));
    assert_eq!(
        hook::seen_message("settle slot 2 exploded"),
        1,
        "the hook saw it"
    );
}

#[tokio::test(start_paused = true)]
async fn settle_over_tasks_keeps_each_tasks_own_result() {
    let cancelled = goscope::go(pending::<u32>());
    cancelled.cancel();
    let tasks = vec![goscope::go(async { 1u32 }), cancelled];
    let outcomes = goscope::settle(tasks).await;
    assert!(matches!(outcomes[0], Ok(Ok(1))));
    assert!(matches!(outcomes[1], Ok(Err(Error::Cancelled))));
}

#[tokio::test(start_paused = true)]
async fn timeout_fn() {
    let quick = goscope::timeout(Duration::from_millis(50), after_ms(10, "done")).await;
    assert_eq!(quick.unwrap(), "done");
    let start = Instant::now();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let late = goscope::timeout(Duration::from_millis(50), async move {
        let _signal = DropSignal(Some(tx));
        pending::<()>().await
    })
    .await;
    assert!(matches!(late, Err(Error::TimedOut(d)) if d == Duration::from_millis(50)));
    assert_eq!(start.elapsed(), Duration::from_millis(50));
    assert_eq!(rx.await, Ok(()), "the late future was dropped");
}

/// A future that counts its polls and is ready once its receiver has a value.
fn counted(
    polls: Arc<AtomicUsize>,
    mut rx: tokio::sync::oneshot::Receiver<u32>,
) -> impl Future<Output = u32> {
    std::future::poll_fn(move |cx| {
        polls.fetch_add(1, Ordering::SeqCst);
        match std::pin::Pin::new(&mut rx).poll(cx) {
            Poll::Ready(v) => Poll::Ready(v.unwrap()),
            Poll::Pending => Poll::Pending,
        }
    })
}

/// Polls `fut` until it is pending with no wake-up of its own pending (a set may yield
/// to the scheduler by waking itself).
fn settle_pending<F: Future + Unpin>(probe: &Probe, fut: &mut F) {
    loop {
        let before = probe.wakes();
        assert!(probe.poll(fut).is_pending());
        if probe.wakes() == before {
            return;
        }
    }
}

#[test]
fn waking_one_of_ten_thousand_polls_only_that_one() {
    const N: usize = 10_000;
    let polls = Arc::new(AtomicUsize::new(0));
    let (senders, futures): (Vec<_>, Vec<_>) = (0..N)
        .map(|_| {
            let (tx, rx) = tokio::sync::oneshot::channel();
            (tx, counted(polls.clone(), rx))
        })
        .unzip();
    let probe = Probe::new();
    let mut join = Box::pin(goscope::all(futures));
    settle_pending(&probe, &mut join);
    assert_eq!(
        polls.load(Ordering::SeqCst),
        N,
        "the first poll polls each once"
    );

    let mut senders: Vec<_> = senders.into_iter().map(Some).collect();
    senders[4242].take().unwrap().send(4242).unwrap();
    settle_pending(&probe, &mut join);
    assert_eq!(
        polls.load(Ordering::SeqCst),
        N + 1,
        "only the woken future was polled"
    );

    for (i, tx) in senders.iter_mut().enumerate() {
        if let Some(tx) = tx.take() {
            tx.send(i as u32).unwrap();
        }
    }
    // The set yields to the scheduler every so often (by waking itself): poll it out.
    let out = loop {
        if let Poll::Ready(out) = probe.poll(&mut join) {
            break out;
        }
    };
    assert_eq!(out.len(), N);
    assert!(out.iter().enumerate().all(|(i, v)| *v == i as u32));
}
