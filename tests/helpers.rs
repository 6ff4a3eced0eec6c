//! The helpers: bounded fan-out (`map`, `try_map`, `for_each`, `try_for_each`,
//! `go_for_each`, the streaming forms), `retry`, `Pool`, `Limiter`, `RateLimiter`,
//! `WaitGroup`.

use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use goscope::{Error, Limiter, Pool, RateLimiter, WaitGroup, scope};
use goscope::{Jitter, TrySubmitError};
use goscope_tests::hook;
use tokio::time::Instant;

#[derive(Debug, PartialEq)]
enum AppError {
    Failed(u32),
    Runtime(String),
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        AppError::Runtime(e.to_string())
    }
}

/// Counts calls in progress and the most seen at once.
#[derive(Clone, Default)]
struct Gauge {
    now: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
    started: Arc<AtomicUsize>,
}

struct GaugeGuard(Arc<AtomicUsize>);

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Gauge {
    fn enter(&self) -> GaugeGuard {
        self.started.fetch_add(1, Ordering::SeqCst);
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        GaugeGuard(Arc::clone(&self.now))
    }
    fn now(&self) -> usize {
        self.now.load(Ordering::SeqCst)
    }
    fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
    fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }
    /// Lets the runtime drop aborted tasks (their drop is asynchronous): yields until no
    /// call is in progress, a bounded number of times.
    async fn drained(&self) {
        for _ in 0..100 {
            if self.now() == 0 {
                return;
            }
            tokio::task::yield_now().await;
        }
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

// ===== map and try_map =====

#[tokio::test(start_paused = true)]
async fn map_returns_outputs_in_item_order_when_items_finish_out_of_order() {
    // Item i sleeps (10 - i) ms: the last item finishes first.
    let out = goscope::map(0..10u64, 10, |i| async move {
        tokio::time::sleep(ms(10 - i)).await;
        i * 2
    })
    .await
    .unwrap();
    assert_eq!(out, (0..10).map(|i| i * 2).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn map_never_runs_more_than_limit_at_once() {
    let gauge = Gauge::default();
    let g = gauge.clone();
    let out = goscope::map(0..200u32, 7, move |i| {
        let g = g.clone();
        async move {
            let _in = g.enter();
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
            i
        }
    })
    .await
    .unwrap();
    assert_eq!(out.len(), 200);
    assert!(
        gauge.max() <= 7,
        "saw {} at once with a limit of 7",
        gauge.max()
    );
    assert!(gauge.max() >= 2, "the items never overlapped");
    assert_eq!(gauge.now(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn map_runs_items_in_parallel_tasks() {
    // Two items that can only finish if they run at the same time on two threads: each
    // blocks its thread until it hears from the other.
    let (to_1, from_0) = std::sync::mpsc::channel::<()>();
    let (to_0, from_1) = std::sync::mpsc::channel::<()>();
    let pairs = Arc::new(std::sync::Mutex::new(vec![
        Some((to_1, from_1)),
        Some((to_0, from_0)),
    ]));
    let out = goscope::map(0..2usize, 2, move |i| {
        let (tell, hear) = pairs.lock().unwrap()[i].take().unwrap();
        async move {
            tell.send(()).unwrap();
            hear.recv_timeout(Duration::from_secs(10)).is_ok()
        }
    })
    .await
    .unwrap();
    assert_eq!(out, [true, true], "the two items did not run in parallel");
}

#[tokio::test(start_paused = true)]
async fn a_slow_item_does_not_hold_up_the_others() {
    // Item 0 waits for item 9, with a limit of 2: the other worker must get through
    // items 1..=9 while item 0 waits.
    let (tx, rx) = tokio::sync::watch::channel(false);
    let out = tokio::time::timeout(
        Duration::from_secs(5),
        goscope::map(0..10u32, 2, move |i| {
            let (tx, mut rx) = (tx.clone(), rx.clone());
            async move {
                if i == 0 {
                    rx.wait_for(|done| *done).await.unwrap();
                } else if i == 9 {
                    tx.send(true).unwrap();
                }
                i
            }
        }),
    )
    .await
    .expect("item 0 blocked the others")
    .unwrap();
    assert_eq!(out, (0..10).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn try_map_returns_the_first_error_and_cancels_the_rest() {
    let gauge = Gauge::default();
    let g = gauge.clone();
    let out = goscope::try_map(0..100u32, 4, move |i| {
        let g = g.clone();
        async move {
            let _in = g.enter();
            if i == 2 {
                tokio::time::sleep(ms(5)).await;
                return Err(AppError::Failed(i));
            }
            tokio::time::sleep(ms(1_000)).await;
            Ok(i)
        }
    })
    .await;
    assert_eq!(out, Err(AppError::Failed(2)));
    // Only the first four items ever started; none is still running.
    assert_eq!(gauge.started(), 4);
    assert_eq!(gauge.now(), 0);
}

#[tokio::test]
async fn try_map_collects_every_ok_in_order() {
    let out = goscope::try_map(vec!["1", "2", "3"], 2, |s| async move {
        s.parse::<u32>().map_err(|_| AppError::Failed(0))
    })
    .await;
    assert_eq!(out, Ok(vec![1, 2, 3]));
}

#[tokio::test]
async fn map_returns_a_panic_as_an_error_and_reports_it() {
    hook::install();
    let out = goscope::map(0..5u32, 2, |i| async move {
        if i == 3 {
            panic!("helpers: map item 3 broke");
        }
        i
    })
    .await;
    let panic = out.unwrap_err().into_panic().expect("a panic");
    assert_eq!(panic.message(), Some("helpers: map item 3 broke"));
    assert_eq!(hook::seen_message("helpers: map item 3 broke"), 1);
}

#[tokio::test]
async fn map_of_no_items_is_empty() {
    let out = goscope::map(Vec::<u32>::new(), 3, |i| async move { i }).await;
    assert_eq!(out.unwrap(), Vec::<u32>::new());
}

#[tokio::test(start_paused = true)]
async fn map_inside_a_scope_is_cancelled_with_it() {
    let gauge = Gauge::default();
    let g = gauge.clone();
    let out: Result<(), AppError> = scope!(|s| {
        s.spawn(async move {
            let mapped = goscope::map(0..10u32, 3, move |i| {
                let g = g.clone();
                async move {
                    let _in = g.enter();
                    std::future::pending::<()>().await;
                    i
                }
            })
            .await;
            // Never reached: the child is cancelled while the map waits.
            drop(mapped);
            Ok::<_, AppError>(())
        });
        s.spawn(async {
            tokio::time::sleep(ms(10)).await;
            Err::<(), _>(AppError::Failed(7))
        });
        Ok(())
    });
    assert_eq!(out, Err(AppError::Failed(7)));
    assert_eq!(gauge.started(), 3);
    assert_eq!(
        gauge.now(),
        0,
        "an item of the nested map outlived the scope"
    );
}

#[tokio::test(start_paused = true)]
async fn dropping_map_cancels_every_item() {
    let gauge = Gauge::default();
    let g = gauge.clone();
    let mapped = goscope::map(0..10u32, 3, move |i| {
        let g = g.clone();
        async move {
            let _in = g.enter();
            std::future::pending::<()>().await;
            i
        }
    });
    let out = tokio::time::timeout(ms(10), mapped).await;
    assert!(out.is_err());
    tokio::task::yield_now().await;
    // The aborted workers are dropped by the runtime: wait for it (bounded).
    gauge.drained().await;
    assert_eq!(gauge.started(), 3);
    assert_eq!(gauge.now(), 0);
}

#[test]
#[should_panic(
    expected = "`goscope::map` with a limit of 0: no item could ever start; use at least 1"
)]
fn map_with_a_limit_of_zero_panics_with_our_message() {
    drop(goscope::map(0..3, 0, |i| async move { i }));
}

// ===== for_each, try_for_each, go_for_each =====

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn for_each_runs_every_item_at_most_limit_at_once() {
    let gauge = Gauge::default();
    let g = gauge.clone();
    goscope::for_each(0..100u32, 3, move |_| {
        let g = g.clone();
        async move {
            let _in = g.enter();
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();
    assert_eq!(gauge.started(), 100);
    assert!(
        gauge.max() <= 3,
        "saw {} at once with a limit of 3",
        gauge.max()
    );
}

#[tokio::test]
async fn for_each_runs_every_item_when_one_panics_and_returns_the_first_panic() {
    hook::install();
    let ran = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&ran);
    let out = goscope::for_each(0..10u32, 2, move |i| {
        let r = Arc::clone(&r);
        async move {
            if i == 4 || i == 7 {
                panic!("helpers: for_each item {i}");
            }
            r.fetch_add(1, Ordering::SeqCst);
        }
    })
    .await;
    assert_eq!(ran.load(Ordering::SeqCst), 8);
    let panic = out.unwrap_err().into_panic().unwrap();
    assert_eq!(panic.message(), Some("helpers: for_each item 4"));
    assert_eq!(hook::seen_message("helpers: for_each item 4"), 1);
    assert_eq!(hook::seen_message("helpers: for_each item 7"), 1);
}

#[tokio::test]
async fn try_for_each_has_one_slot_per_item_including_a_panic() {
    hook::install();
    let out = goscope::try_for_each(0..6u32, 2, |i| async move {
        match i {
            1 | 4 => Err(AppError::Failed(i)),
            3 => panic!("helpers: try_for_each item 3"),
            _ => Ok(()),
        }
    })
    .await;
    assert_eq!(out.len(), 6);
    assert_eq!(out[0], Ok(()));
    assert_eq!(out[1], Err(AppError::Failed(1)));
    assert_eq!(out[2], Ok(()));
    assert!(
        matches!(&out[3], Err(AppError::Runtime(m)) if m.contains("helpers: try_for_each item 3")),
        "{:?}",
        out[3]
    );
    assert_eq!(out[4], Err(AppError::Failed(4)));
    assert_eq!(out[5], Ok(()));
}

#[tokio::test(start_paused = true)]
async fn try_for_each_cancelled_gives_every_unfinished_item_a_cancelled_slot() {
    // The scope's token is cancelled with no failure: the body runs on, and sees the
    // helper (nested in the scope) return early.
    let out: Result<Vec<Result<(), AppError>>, AppError> = scope!(|s| {
        let token = s.token();
        s.spawn(async move {
            tokio::time::sleep(ms(10)).await;
            token.cancel();
            Ok(())
        });
        Ok(goscope::try_for_each(0..5u32, 2, |i| async move {
            if i > 0 {
                std::future::pending::<()>().await;
            }
            Ok(())
        })
        .await)
    });
    let slots = out.unwrap();
    assert_eq!(slots.len(), 5);
    assert_eq!(slots[0], Ok(()));
    for slot in &slots[1..] {
        assert_eq!(slot, &Err(AppError::Runtime(Error::Cancelled.to_string())));
    }
}

#[tokio::test(start_paused = true)]
async fn go_for_each_returns_at_once_and_wait_sees_every_item() {
    let done = Arc::new(AtomicUsize::new(0));
    let d = Arc::clone(&done);
    let items = vec![1u64, 2, 3, 4];
    let handle = goscope::go_for_each(items, 2, move |i| {
        let d = Arc::clone(&d);
        async move {
            tokio::time::sleep(ms(100 * i)).await;
            d.fetch_add(1, Ordering::SeqCst);
        }
    });
    // Returned before any item could finish.
    assert_eq!(done.load(Ordering::SeqCst), 0);
    assert!(!handle.is_finished());
    handle.wait().await.unwrap();
    assert_eq!(done.load(Ordering::SeqCst), 4);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_go_for_each_handle_cancels_the_rest() {
    let gauge = Gauge::default();
    let g = gauge.clone();
    let handle = goscope::go_for_each(0..10u32, 2, move |_| {
        let g = g.clone();
        async move {
            let _in = g.enter();
            tokio::time::sleep(ms(1_000)).await;
        }
    });
    tokio::time::sleep(ms(10)).await;
    assert_eq!(gauge.now(), 2);
    drop(handle);
    gauge.drained().await;
    assert_eq!(gauge.now(), 0);
    tokio::time::sleep(ms(5_000)).await;
    assert_eq!(
        gauge.started(),
        2,
        "items started after the handle was dropped"
    );
}

// ===== streaming =====

#[tokio::test(start_paused = true)]
async fn map_stream_keeps_input_order() {
    let input = futures_util::stream::iter(0..8u64);
    let out: Vec<u64> = goscope::map_stream(input, 3, |i| async move {
        tokio::time::sleep(ms(8 - i)).await;
        i + 100
    })
    .map(Result::unwrap)
    .collect()
    .await;
    assert_eq!(out, (100..108).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn map_stream_unordered_streams_in_finishing_order() {
    let input = futures_util::stream::iter([30u64, 10, 20]);
    let out: Vec<u64> = goscope::map_stream_unordered(input, 3, |d| async move {
        tokio::time::sleep(ms(d)).await;
        d
    })
    .map(Result::unwrap)
    .collect()
    .await;
    assert_eq!(out, [10, 20, 30]);
}

#[tokio::test(start_paused = true)]
async fn map_stream_holds_at_most_limit_items_behind_a_slow_one() {
    let gauge = Gauge::default();
    let g = gauge.clone();
    let mut out = goscope::map_stream(futures_util::stream::iter(0..20u64), 4, move |i| {
        let g = g.clone();
        async move {
            let _in = g.enter();
            tokio::time::sleep(if i == 0 { ms(1_000) } else { ms(1) }).await;
            i
        }
    });
    assert_eq!(out.next().await.unwrap().unwrap(), 0);
    // While item 0 was slow, at most 4 items were started (0 and three behind it), then
    // one more for each output streamed.
    assert!(gauge.started() <= 5, "started {} items", gauge.started());
    let rest: Vec<u64> = out.map(Result::unwrap).collect().await;
    assert_eq!(rest, (1..20).collect::<Vec<_>>());
    assert!(gauge.max() <= 4);
}

#[tokio::test]
async fn map_stream_streams_a_panic_and_ends() {
    hook::install();
    let out: Vec<Result<u32, Error>> =
        goscope::map_stream(futures_util::stream::iter(0..5u32), 1, |i| async move {
            if i == 2 {
                panic!("helpers: stream item 2");
            }
            i
        })
        .collect()
        .await;
    assert_eq!(out.len(), 3);
    assert_eq!(out[0].as_ref().unwrap(), &0);
    assert_eq!(out[1].as_ref().unwrap(), &1);
    let panic = out
        .into_iter()
        .nth(2)
        .unwrap()
        .unwrap_err()
        .into_panic()
        .unwrap();
    assert_eq!(panic.message(), Some("helpers: stream item 2"));
}

#[tokio::test(start_paused = true)]
async fn dropping_the_stream_cancels_its_items() {
    let gauge = Gauge::default();
    let g = gauge.clone();
    let mut out =
        goscope::map_stream_unordered(futures_util::stream::iter(0..10u64), 3, move |i| {
            let g = g.clone();
            async move {
                let _in = g.enter();
                tokio::time::sleep(ms(if i == 0 { 1 } else { 10_000 })).await;
                i
            }
        });
    assert_eq!(out.next().await.unwrap().unwrap(), 0);
    drop(out);
    gauge.drained().await;
    assert_eq!(gauge.now(), 0);
}

// ===== retry =====

#[tokio::test(start_paused = true)]
async fn retry_makes_exactly_the_attempts_asked_and_returns_the_last_error() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let out: Result<(), u32> = goscope::retry(move |attempt| {
        c.fetch_add(1, Ordering::SeqCst);
        async move { Err(attempt) }
    })
    .attempts(4)
    .await;
    assert_eq!(out, Err(4));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test(start_paused = true)]
async fn retry_delays_follow_the_backoff_schedule() {
    let start = Instant::now();
    let times = Arc::new(std::sync::Mutex::new(Vec::new()));
    let t = Arc::clone(&times);
    let out: Result<u32, &str> = goscope::retry(move |attempt| {
        t.lock().unwrap().push(start.elapsed());
        async move {
            if attempt < 6 {
                Err("flaky")
            } else {
                Ok(attempt)
            }
        }
    })
    .attempts(6)
    .delay(ms(100))
    .factor(3.0)
    .max_delay(ms(2_000))
    .await;
    assert_eq!(out, Ok(6));
    // Sleeps of 100, 300, 900, 2000 (capped; 2700 uncapped), 2000 ms.
    let expected: Vec<Duration> = [0, 100, 400, 1_300, 3_300, 5_300]
        .into_iter()
        .map(ms)
        .collect();
    assert_eq!(*times.lock().unwrap(), expected);
}

#[tokio::test(start_paused = true)]
async fn notify_sees_each_failure_with_its_attempt_and_next_delay() {
    let mut seen = Vec::new();
    let out: Result<(), String> =
        goscope::retry(|attempt| async move { Err(format!("e{attempt}")) })
            .attempts(3)
            .delay(ms(10))
            .notify(|e, attempt, next| seen.push((e.clone(), attempt, next)))
            .await;
    assert_eq!(out, Err("e3".to_owned()));
    assert_eq!(
        seen,
        [("e1".to_owned(), 1, ms(10)), ("e2".to_owned(), 2, ms(20))]
    );
}

#[tokio::test(start_paused = true)]
async fn retry_if_stops_at_an_error_that_is_not_retryable() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let out: Result<(), AppError> = goscope::retry(move |attempt| {
        c.fetch_add(1, Ordering::SeqCst);
        async move {
            Err(if attempt == 2 {
                AppError::Runtime("fatal".into())
            } else {
                AppError::Failed(attempt)
            })
        }
    })
    .attempts(10)
    .retry_if(|e| matches!(e, AppError::Failed(_)))
    .await;
    assert_eq!(out, Err(AppError::Runtime("fatal".into())));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn retry_never_overshoots_its_deadline() {
    let start = Instant::now();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    // Attempts at 0, 100, 300, 700 ms; the next sleep (800 ms) would end at 1,500 ms,
    // past the 1,000 ms deadline: retry returns then, at 700 ms.
    let out: Result<(), AppError> = goscope::retry(move |attempt| {
        c.fetch_add(1, Ordering::SeqCst);
        async move { Err(AppError::Failed(attempt)) }
    })
    .attempts(100)
    .delay(ms(100))
    .deadline(ms(1_000))
    .await;
    assert_eq!(out, Err(AppError::Failed(4)));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(start.elapsed(), ms(700));
}

#[tokio::test(start_paused = true)]
async fn retry_cuts_an_attempt_running_at_the_deadline() {
    let start = Instant::now();
    let out: Result<(), AppError> = goscope::retry(|_| async {
        tokio::time::sleep(ms(10_000)).await;
        Ok(())
    })
    .deadline(ms(250))
    .await;
    assert_eq!(
        out,
        Err(AppError::Runtime(Error::TimedOut(ms(250)).to_string()))
    );
    assert_eq!(start.elapsed(), ms(250));
}

#[tokio::test(start_paused = true)]
async fn attempt_timeout_fails_a_slow_attempt_and_retries_it() {
    let start = Instant::now();
    let out: Result<u32, AppError> = goscope::retry(|attempt| async move {
        if attempt == 1 {
            tokio::time::sleep(ms(10_000)).await;
        }
        Ok(attempt)
    })
    .attempt_timeout(ms(50))
    .delay(ms(10))
    .await;
    assert_eq!(out, Ok(2));
    assert_eq!(start.elapsed(), ms(60));
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_scope_ends_the_retry_sleep_at_once() {
    let start = Instant::now();
    let out: Result<(Result<(), u32>, Duration), Error> = scope!(|s| {
        let token = s.token();
        s.spawn(async move {
            tokio::time::sleep(ms(20)).await;
            token.cancel();
            Ok(())
        });
        let out = goscope::retry(|a| async move { Err(a) })
            .attempts(3)
            .delay(ms(60_000))
            .await;
        Ok((out, start.elapsed()))
    });
    // The first attempt failed, the minute's sleep ended when the scope was cancelled,
    // and retry returned the last error then.
    assert_eq!(out.unwrap(), (Err(1), ms(20)));
}

#[tokio::test]
async fn retry_panics_only_when_asked() {
    hook::install();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let out: Result<u32, Error> = goscope::retry(move |attempt| {
        c.fetch_add(1, Ordering::SeqCst);
        async move {
            if attempt < 3 {
                panic!("helpers: retried panic");
            }
            Ok(attempt)
        }
    })
    .delay(Duration::ZERO)
    .retry_panics()
    .await;
    assert_eq!(out.unwrap(), 3);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(hook::seen_message("helpers: retried panic"), 2);

    // By default the panic unwinds (here into the task that runs the retry).
    let task = goscope::go(async {
        let _: Result<(), Error> =
            goscope::retry(|_| async { panic!("helpers: not retried") }).await;
    });
    let panic = task.await.unwrap_err().into_panic().unwrap();
    assert_eq!(panic.message(), Some("helpers: not retried"));
}

#[test]
fn jitter_stays_within_its_bounds() {
    // Through the public builder: full jitter sleeps at most the delay, equal jitter at
    // least half of it.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    for (jitter, low, high) in [
        (Jitter::Full, 0, 1_000),
        (Jitter::Equal, 500, 1_000),
        (Jitter::None, 1_000, 1_000),
    ] {
        for _ in 0..20 {
            let mut next = None;
            let _: Result<(), ()> = rt.block_on(
                goscope::retry(|_| async { Err(()) })
                    .attempts(2)
                    .delay(ms(1_000))
                    .jitter(jitter)
                    .notify(|_, _, d| next = Some(d))
                    .into_future(),
            );
            let d = next.unwrap();
            assert!(d >= ms(low) && d <= ms(high), "{jitter:?}: {d:?}");
        }
    }
    // SPEC's form, `jitter(bool)`: `true` is full jitter.
    let mut next = None;
    let _: Result<(), ()> = rt.block_on(
        goscope::retry(|| async { Err(()) })
            .attempts(2)
            .delay(ms(1_000))
            .jitter(true)
            .notify(|_, _, d| next = Some(d))
            .into_future(),
    );
    assert!(next.unwrap() <= ms(1_000));
    assert_eq!(Jitter::from(true), Jitter::Full);
    assert_eq!(Jitter::from(false), Jitter::None);
}

// ===== Pool =====

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pool_runs_its_jobs_on_n_workers_and_survives_a_panic() {
    hook::install();
    let pool = Pool::new(3);
    let gauge = Gauge::default();
    let mut handles = Vec::new();
    for i in 0..30u32 {
        let g = gauge.clone();
        handles.push(
            pool.submit(async move {
                let _in = g.enter();
                tokio::task::yield_now().await;
                if i == 5 {
                    panic!("helpers: pool job 5");
                }
                i * 2
            })
            .await,
        );
    }
    pool.close();
    pool.wait().await;
    assert_eq!(pool.pending(), 0);
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await);
    }
    assert_eq!(outputs.len(), 30);
    for (i, out) in outputs.into_iter().enumerate() {
        if i == 5 {
            let panic = out.unwrap_err().into_panic().unwrap();
            assert_eq!(panic.message(), Some("helpers: pool job 5"));
        } else {
            assert_eq!(out.unwrap(), i as u32 * 2);
        }
    }
    assert_eq!(hook::seen_message("helpers: pool job 5"), 1);
    assert!(gauge.max() <= 3);
    assert_eq!(gauge.started(), 30, "a worker died with the panicking job");
}

#[tokio::test(start_paused = true)]
async fn try_submit_gives_the_job_back_when_full_or_closed() {
    let pool = Pool::with_queue(1, 1);
    let (release, wait) = tokio::sync::oneshot::channel::<()>();
    let first = pool
        .submit(async move {
            wait.await.unwrap();
            1
        })
        .await;
    tokio::task::yield_now().await; // the worker takes the first job
    let second = pool.try_submit(async { 2 }).unwrap(); // queued
    match pool.try_submit(async { 3 }) {
        Err(TrySubmitError::Full(job)) => assert_eq!(job.await, 3),
        other => panic!("expected Full, got {other:?}"),
    }
    release.send(()).unwrap();
    assert_eq!(first.await.unwrap(), 1);
    assert_eq!(second.await.unwrap(), 2);
    assert!(pool.close());
    match pool.try_submit(async { 4 }) {
        Err(TrySubmitError::Closed(job)) => assert_eq!(job.await, 4),
        other => panic!("expected Closed, got {other:?}"),
    }
    // `submit` on a closed pool runs nothing: the handle says it was cancelled.
    let refused = pool.submit(async { 5 }).await;
    assert!(matches!(refused.await, Err(Error::Cancelled)));
    assert_eq!(pool.pending(), 0);
}

#[tokio::test(start_paused = true)]
async fn pool_wait_waits_only_for_jobs_submitted_before_it() {
    let pool = Pool::new(2);
    let first = pool.submit(tokio::time::sleep(ms(100))).await;
    let waiting = pool.wait();
    tokio::pin!(waiting);
    // A job submitted after `wait` was called, which never ends.
    let later = pool.submit(std::future::pending::<()>()).await;
    let start = Instant::now();
    waiting.await;
    assert_eq!(start.elapsed(), ms(100));
    assert!(first.is_finished());
    later.cancel();
    assert!(matches!(later.await, Err(Error::Cancelled)));
}

#[tokio::test(start_paused = true)]
async fn dropping_a_pool_cancels_its_jobs() {
    let pool = Pool::new(1);
    let running = pool.submit(std::future::pending::<()>()).await;
    let queued = pool.submit(async { 1 }).await;
    tokio::task::yield_now().await;
    drop(pool);
    assert!(matches!(running.await, Err(Error::Cancelled)));
    assert!(matches!(queued.await, Err(Error::Cancelled)));
}

// ===== Limiter, RateLimiter, WaitGroup =====

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_limiter_never_lets_more_than_n_run() {
    let limiter = Limiter::new(2);
    let gauge = Gauge::default();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (limiter, g) = (limiter.clone(), gauge.clone());
            goscope::go(async move {
                limiter
                    .run(async {
                        let _in = g.enter();
                        tokio::task::yield_now().await;
                    })
                    .await
            })
        })
        .collect();
    goscope::try_all(tasks).await.unwrap();
    assert_eq!(gauge.started(), 20);
    assert!(gauge.max() <= 2, "saw {} at once", gauge.max());
    assert_eq!(limiter.available(), 2);
    let held = limiter.try_acquire().unwrap();
    let _held2 = limiter.acquire().await;
    assert!(limiter.try_acquire().is_none());
    drop(held);
    assert_eq!(limiter.available(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_rate_limiter_admits_n_per_period() {
    let limiter = RateLimiter::per(4, Duration::from_secs(1));
    let start = Instant::now();
    let mut times = Vec::new();
    for _ in 0..10 {
        limiter.acquire().await;
        times.push(start.elapsed().as_millis());
    }
    // Four at once, four a second later (each turn comes back a second after it was
    // taken), then the last two.
    assert_eq!(times, [0, 0, 0, 0, 1000, 1000, 1000, 1000, 2000, 2000]);
    // In any one-second window, at most four.
    for (i, t) in times.iter().enumerate() {
        let in_window = times[i..].iter().filter(|u| **u < t + 1000).count();
        assert!(in_window <= 4, "{in_window} within a second from {t} ms");
    }
    // At 2 s two of the last second's four turns are free, then none.
    assert!(limiter.try_acquire());
    assert!(limiter.try_acquire());
    assert!(!limiter.try_acquire());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(limiter.try_acquire());
}

#[tokio::test(start_paused = true)]
async fn a_dropped_rate_limiter_waiter_gives_its_turn_back() {
    let limiter = RateLimiter::per(1, ms(100));
    limiter.acquire().await;
    let start = Instant::now();
    // Gives up after 10 ms of its 100 ms wait: the turn at 100 ms is free again.
    assert!(
        tokio::time::timeout(ms(10), limiter.acquire())
            .await
            .is_err()
    );
    limiter.acquire().await;
    assert_eq!(start.elapsed(), ms(100));
    limiter.acquire().await;
    assert_eq!(start.elapsed(), ms(200));
}

#[tokio::test]
async fn a_wait_group_waits_for_every_done() {
    let wg = WaitGroup::new();
    wg.wait().await; // zero: at once
    wg.add(3);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..3 {
        let (wg, tx) = (wg.clone(), tx.clone());
        goscope::go(async move {
            tx.send(i).unwrap();
            wg.done();
        })
        .detach();
    }
    drop(tx);
    wg.wait().await;
    assert_eq!(wg.count(), 0);
    let mut rx = rx;
    let mut got = Vec::new();
    while let Some(i) = rx.recv().await {
        got.push(i);
    }
    got.sort();
    assert_eq!(got, [0, 1, 2]);
}

#[test]
#[should_panic(expected = "`WaitGroup::done` called more times than `add`")]
fn done_more_than_add_panics() {
    let wg = WaitGroup::new();
    wg.add(1);
    wg.done();
    wg.done();
}

#[tokio::test(start_paused = true)]
async fn cancelling_a_running_pool_job_stops_it_and_what_it_started() {
    let pool = Pool::new(1);
    let gauge = Gauge::default();
    let g = gauge.clone();
    let job = pool
        .submit(async move {
            let out: Result<(), Error> = scope!(|s| {
                s.spawn(async move {
                    let _in = g.enter();
                    std::future::pending::<()>().await;
                    Ok(())
                });
                Ok(())
            });
            out
        })
        .await;
    tokio::time::sleep(ms(1)).await;
    assert_eq!(gauge.now(), 1);
    job.cancel();
    assert!(matches!(job.await, Err(Error::Cancelled)));
    // The scope nested in the job was dropped with it, and its child with the scope.
    gauge.drained().await;
    assert_eq!(gauge.now(), 0);
    // The worker goes on with the next job.
    let next = pool.submit(async { 7 }).await;
    assert_eq!(next.await.unwrap(), 7);
}

#[tokio::test]
async fn the_only_worker_of_a_pool_survives_a_panicking_job() {
    hook::install();
    let pool = Pool::new(1);
    let broken = pool
        .submit(async { panic!("helpers: the only worker's job") })
        .await;
    let next = pool.submit(async { "still working" }).await;
    let panic = broken.await.unwrap_err().into_panic().unwrap();
    assert_eq!(panic.message(), Some("helpers: the only worker's job"));
    assert_eq!(next.await.unwrap(), "still working");
    assert_eq!(hook::seen_message("helpers: the only worker's job"), 1);
}

#[tokio::test(start_paused = true)]
async fn retry_takes_a_closure_with_or_without_the_attempt_number() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let out: Result<usize, &str> = goscope::retry(move || {
        let n = c.fetch_add(1, Ordering::SeqCst) + 1;
        async move { if n < 3 { Err("not yet") } else { Ok(n) } }
    })
    .delay(ms(1))
    .await;
    assert_eq!(out, Ok(3));

    async fn page(attempt: u32) -> Result<u32, String> {
        if attempt < 2 {
            Err(format!("attempt {attempt}"))
        } else {
            Ok(attempt * 10)
        }
    }
    assert_eq!(goscope::retry(page).delay(ms(1)).await, Ok(20));
    assert_eq!(goscope::retry(|n| page(n + 1)).delay(ms(1)).await, Ok(20));
}

// ===== blocking waits: `wait_blocking` on every handle a plain thread may wait on =====

#[test]
fn a_wait_group_is_waited_on_from_plain_threads() {
    let wg = WaitGroup::new();
    let done = Arc::new(AtomicUsize::new(0));
    wg.add(3);
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let go_rx = Arc::new(std::sync::Mutex::new(go_rx));
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let (wg, done, go_rx) = (wg.clone(), Arc::clone(&done), Arc::clone(&go_rx));
            std::thread::spawn(move || {
                go_rx.lock().unwrap().recv().unwrap(); // held until the test lets it go
                done.fetch_add(1, Ordering::SeqCst);
                wg.done();
            })
        })
        .collect();
    let waiter = {
        let (wg, done) = (wg.clone(), Arc::clone(&done));
        std::thread::spawn(move || {
            wg.wait_blocking();
            done.load(Ordering::SeqCst)
        })
    };
    for _ in 0..3 {
        go_tx.send(()).unwrap();
    }
    assert_eq!(
        waiter.join().unwrap(),
        3,
        "the wait ends only after every `done`"
    );
    for w in workers {
        w.join().unwrap();
    }
    wg.wait_blocking(); // at zero: returns at once
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_blocking_inside_a_task_panics_with_a_message() {
    let wg = WaitGroup::new();
    let err = goscope::go(async move { wg.wait_blocking() })
        .await
        .unwrap_err();
    let message = err.into_panic().unwrap().message().unwrap().to_owned();
    assert!(
        message.contains("`WaitGroup::wait_blocking()` called inside a goscope task"),
        "{message}"
    );
    assert!(message.contains("`.await` `wait()` instead"), "{message}");
}

#[test]
fn a_go_for_each_is_waited_on_from_a_plain_thread() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let handle = {
        let _enter = rt.enter();
        let seen = Arc::clone(&seen);
        goscope::go_for_each(0..10, 3, move |n| {
            let seen = Arc::clone(&seen);
            async move {
                tokio::task::yield_now().await;
                seen.fetch_add(n, Ordering::SeqCst);
            }
        })
    };
    let outcome = std::thread::spawn(move || handle.wait_blocking())
        .join()
        .unwrap();
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(
        seen.load(Ordering::SeqCst),
        45,
        "every item ran before the wait ended"
    );

    let failing = {
        let _enter = rt.enter();
        goscope::go_for_each(0..3, 1, |n| async move {
            if n == 1 {
                panic!("item one");
            }
        })
    };
    let err = std::thread::spawn(move || failing.wait_blocking())
        .join()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.into_panic().unwrap().message(), Some("item one"));
}

#[tokio::test]
async fn a_task_waits_asynchronously_under_the_name_wait() {
    assert_eq!(goscope::go(async { 6 * 7 }).wait().await.unwrap(), 42);
    let handle = goscope::go_for_each(0..3, 2, |_n| async {});
    assert!(handle.wait().await.is_ok());
}
