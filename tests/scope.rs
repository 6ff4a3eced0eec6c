//! `scope!` (first increment): children finish before the scope returns, the first
//! failure cancels the rest and is the result, dropping the scope cancels every child,
//! local children borrow, panics are failures and reach the hook.

use std::future::pending;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use goscope::{Error, scope};
use goscope_tests::DropSignal;

#[derive(Debug, PartialEq)]
enum AppError {
    Failed(&'static str),
    Runtime(String),
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        AppError::Runtime(e.to_string())
    }
}

/// Counts live children: incremented when one starts, decremented when it is dropped.
#[derive(Clone, Default)]
struct Live(Arc<AtomicUsize>);

struct LiveGuard(Arc<AtomicUsize>);

impl Live {
    fn enter(&self) -> LiveGuard {
        self.0.fetch_add(1, Ordering::SeqCst);
        LiveGuard(self.0.clone())
    }
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_child_has_finished_before_the_scope_returns() {
    let live = Live::default();
    let done = Arc::new(AtomicUsize::new(0));
    let out: Result<usize, AppError> = scope!(|s| {
        for i in 0..50u64 {
            let (live, done) = (live.clone(), done.clone());
            s.spawn(async move {
                let _guard = live.enter();
                tokio::time::sleep(Duration::from_millis(i % 5)).await;
                done.fetch_add(1, Ordering::SeqCst);
                Ok(())
            });
        }
        Ok(7)
    });
    assert_eq!(out, Ok(7));
    assert_eq!(
        done.load(Ordering::SeqCst),
        50,
        "the body returned early; the scope waited"
    );
    assert_eq!(live.count(), 0);
}

#[tokio::test]
async fn local_children_borrow_from_the_caller() {
    let names = ["ada".to_owned(), "grace".to_owned(), "edsger".to_owned()];
    let mut tally = 0usize;
    let out: Result<usize, Error> = scope!(|s| {
        let lengths = s.spawn_local(async { Ok(names.iter().map(String::len).sum::<usize>()) });
        let count = s.spawn_local(async {
            tally += names.len();
            Ok(names.len())
        });
        Ok(lengths.await? * 10 + count.await?)
    });
    assert_eq!(out.unwrap(), 143);
    assert_eq!(tally, 3, "the local child mutated a borrowed variable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_failure_cancels_the_rest_and_is_the_result() {
    let live = Live::default();
    let (dropped_tx, dropped_rx) = tokio::sync::oneshot::channel();
    let out: Result<(), AppError> = scope!(|s| {
        let live2 = live.clone();
        let sleeper = s.spawn(async move {
            let _guard = live2.enter();
            let _signal = DropSignal(Some(dropped_tx));
            pending::<()>().await;
            Ok(())
        });
        let local = s.spawn_local(async {
            let _guard = live.enter();
            pending::<Result<(), AppError>>().await
        });
        s.spawn(async { Err::<(), _>(AppError::Failed("boom")) });
        // The body awaits a cancelled sibling: its `Cancelled` must not become the result.
        sleeper.await?;
        local.await?;
        Ok(())
    });
    assert_eq!(out, Err(AppError::Failed("boom")));
    dropped_rx.await.expect("the sleeping child was dropped");
    assert_eq!(live.count(), 0, "no child outlives the scope");
}

#[tokio::test]
async fn the_body_error_cancels_the_children() {
    let live = Live::default();
    let out: Result<(), AppError> = scope!(|s| {
        let live = live.clone();
        s.spawn(async move {
            let _guard = live.enter();
            pending::<()>().await;
            Ok(())
        });
        tokio::task::yield_now().await;
        Err(AppError::Failed("body"))
    });
    assert_eq!(out, Err(AppError::Failed("body")));
    assert_eq!(live.count(), 0);
}

#[tokio::test]
async fn a_child_panic_is_a_failure_converted_into_the_error_type() {
    goscope_tests::hook::install();
    let out: Result<(), Error> = scope!(|s| {
        s.spawn_local(async {
            if true {
                panic!("local child exploded");
            }
            Ok(())
        });
        Ok(())
    });
    match out {
        Err(Error::Panicked(p)) => {
            assert_eq!(p.message(), Some("local child exploded"));
            assert!(p.location().is_some_and(|l| l.file().ends_with("scope.rs")));
        }
        other => panic!("expected a panic, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_scope_future_cancels_every_child() {
    let live = Live::default();
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let (dropped_tx, dropped_rx) = tokio::sync::oneshot::channel();
    let (local_dropped_tx, local_dropped_rx) = tokio::sync::oneshot::channel();
    let fut = {
        let live = live.clone();
        async move {
            let _: Result<(), Error> = scope!(|s| {
                let live2 = live.clone();
                s.spawn(async move {
                    // Declared first, dropped last: the count is down before the signal.
                    let _signal = DropSignal(Some(dropped_tx));
                    let _guard = live2.enter();
                    let _ = started_tx.send(());
                    pending::<()>().await;
                    Ok(())
                });
                s.spawn_local(async {
                    let _signal = DropSignal(Some(local_dropped_tx));
                    let _guard = live.enter();
                    pending::<Result<(), Error>>().await
                });
                pending::<Result<(), Error>>().await
            });
        }
    };
    let task = goscope::go(fut);
    started_rx.await.unwrap();
    drop(task); // cancels the task running the scope
    dropped_rx
        .await
        .expect("the 'static child's task was aborted");
    local_dropped_rx
        .await
        .expect("the local child was dropped with the scope's future");
    assert_eq!(live.count(), 0);
}

#[tokio::test]
async fn a_cancelled_handle_resolves_to_cancelled_and_is_not_a_failure() {
    let out: Result<&str, Error> = scope!(|s| {
        let child = s.spawn_local(async { pending::<Result<(), Error>>().await });
        child.cancel();
        assert!(matches!(child.await, Err(Error::Cancelled)));
        Ok("fine")
    });
    assert_eq!(out.unwrap(), "fine");
}

#[tokio::test]
async fn spawn_after_the_first_failure_starts_nothing() {
    let started = Arc::new(AtomicUsize::new(0));
    let out: Result<(), AppError> = scope!(|s| {
        let failing = s.spawn_local(async { Err::<(), _>(AppError::Failed("first")) });
        let _ = failing.await;
        assert!(s.is_cancelled());
        let started2 = started.clone();
        let late = s.spawn(async move {
            started2.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
        assert!(matches!(late.await, Err(AppError::Runtime(_))));
        Ok(())
    });
    // The body took the failed child's error and went on: the scope returns the body's.
    assert_eq!(out, Ok(()));
    assert_eq!(started.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_local_child_spawns_grandchildren_through_a_clone() {
    let out: Result<u32, Error> = scope!(|s| {
        let s2 = s.clone();
        let parent = s.spawn_local(async move {
            let a = s2.spawn_local(async { Ok(1) });
            let b = s2.spawn(async { Ok(2) });
            Ok(a.await? + b.await?)
        });
        Ok(parent.await? + 10)
    });
    assert_eq!(out.unwrap(), 13);
}

#[tokio::test]
async fn a_blocking_child_watches_the_token() {
    let saw = Arc::new(AtomicUsize::new(0));
    let (started_tx, started) = goscope::chan::bounded::<()>(1);
    let out: Result<&str, AppError> = scope!(|s| {
        let (token, saw) = (s.token(), saw.clone());
        s.spawn_blocking(move || {
            started_tx.send_blocking(()).unwrap();
            while !token.is_cancelled() {
                std::thread::yield_now();
            }
            saw.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
        s.spawn_local(async {
            // Fail only once the blocking child runs (an unstarted one is never started).
            started.recv().await;
            Err::<(), _>(AppError::Failed("stop"))
        });
        Ok("unreachable result")
    });
    assert_eq!(out, Err(AppError::Failed("stop")));
    // The scope waited for the blocking child to stop, which it did on seeing the token.
    assert_eq!(saw.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_children() {
    let out: Result<u64, Error> = scope!(|s| {
        let handles: Vec<_> = (0..10_000u64)
            .map(|i| {
                if i % 2 == 0 {
                    s.spawn(async move { Ok(i) })
                } else {
                    s.spawn_local(async move { Ok(i) })
                }
            })
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await?;
        }
        Ok(sum)
    });
    assert_eq!(out.unwrap(), 10_000 * 9_999 / 2);
}

/// A `scope!` nested two levels down, inside a `'static` child and a local child of an
/// inner scope, with no token passed by hand: the outer scope's failure cancels it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nested_scope_at_any_depth_is_cancelled_with_the_outer_one() {
    let live = Live::default();
    let (ready_tx, ready) = goscope::chan::bounded::<()>(1);
    // Without the link between the scopes the deepest child would wait forever: bound the
    // wait so that the test fails instead of hanging.
    let bounded = tokio::time::timeout(Duration::from_secs(30), async {
        let out: Result<(), AppError> = scope!(|s| {
            let live = live.clone();
            s.spawn(async move {
                let inner: Result<(), AppError> = scope!(|inner| {
                    inner.spawn_local(async {
                        let deepest: Result<(), AppError> = scope!(|deep| {
                            deep.spawn_local(async {
                                let _guard = live.enter();
                                ready_tx.send(()).await.unwrap();
                                goscope::cancelled().await;
                                Ok(())
                            });
                            Ok(())
                        });
                        deepest
                    });
                    Ok(())
                });
                inner
            });
            ready.recv().await;
            Err(AppError::Failed("outer"))
        });
        out
    });
    let out = bounded
        .await
        .expect("the nested scopes were cancelled with the outer one");
    assert_eq!(out, Err(AppError::Failed("outer")));
    assert_eq!(
        live.count(),
        0,
        "the deepest child stopped before the outer scope returned"
    );
}

#[tokio::test(start_paused = true)]
async fn cancelled_outside_any_scope_never_resolves() {
    let outcome = tokio::time::timeout(Duration::from_millis(1), goscope::cancelled()).await;
    assert!(outcome.is_err());
}

// ----- options -----

#[tokio::test(start_paused = true)]
async fn timeout_cancels_everything_and_returns_timed_out() {
    let live = Live::default();
    let start = tokio::time::Instant::now();
    let out: Result<(), Error> = scope!(timeout = Duration::from_millis(300), |s| {
        let live = live.clone();
        s.spawn(async move {
            let _guard = live.enter();
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        });
        tokio::time::sleep(Duration::from_secs(3600)).await; // the body is late too
        Ok(())
    });
    assert!(matches!(out, Err(Error::TimedOut(d)) if d == Duration::from_millis(300)));
    assert_eq!(start.elapsed(), Duration::from_millis(300));
    assert_eq!(live.count(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_scope_that_finishes_in_time_is_not_timed_out() {
    let out: Result<u8, Error> = scope!(timeout = Duration::from_secs(1), |s| {
        let a = s.spawn(async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Ok(4)
        });
        Ok(a.await? * 2)
    });
    assert_eq!(out.unwrap(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_bounds_the_children_running_at_once() {
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let out: Result<usize, Error> = scope!(limit = 3, |s| {
        let handles: Vec<_> = (0..40)
            .map(|i| {
                let (running, peak) = (running.clone(), peak.clone());
                let child = async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                    tokio::time::sleep(Duration::from_micros(200)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(1)
                };
                if i % 2 == 0 {
                    s.spawn(child)
                } else {
                    s.spawn_local(child)
                }
            })
            .collect();
        let mut done = 0;
        for h in handles {
            done += h.await?;
        }
        Ok(done)
    });
    assert_eq!(out.unwrap(), 40);
    let peak = peak.load(Ordering::SeqCst);
    assert!((1..=3).contains(&peak), "peak {peak}");
}

#[tokio::test]
async fn children_waiting_for_a_slot_are_dropped_unstarted_after_a_failure() {
    let started = Arc::new(AtomicUsize::new(0));
    let out: Result<(), AppError> = scope!(limit = 1, |s| {
        s.spawn_local(async {
            tokio::task::yield_now().await;
            Err::<(), _>(AppError::Failed("first"))
        });
        for _ in 0..5 {
            let started = started.clone();
            s.spawn(async move {
                started.fetch_add(1, Ordering::SeqCst);
                Ok(())
            });
        }
        Ok(())
    });
    assert_eq!(out, Err(AppError::Failed("first")));
    assert_eq!(
        started.load(Ordering::SeqCst),
        0,
        "nothing queued started after the failure"
    );
}

#[tokio::test]
async fn supervise_keeps_each_childs_outcome_and_cancels_nothing() {
    let out: Result<Vec<String>, AppError> = scope!(supervise, |s| {
        let failing = s.spawn_local(async { Err::<u32, _>(AppError::Failed("one")) });
        let slow = s.spawn(async {
            tokio::task::yield_now().await;
            Ok(2)
        });
        let panicking = s.spawn_local(async {
            if true {
                panic!("supervised panic");
            }
            Ok(3)
        });
        Ok(vec![
            format!("{:?}", failing.await),
            format!("{:?}", slow.await),
            format!(
                "{:?}",
                panicking
                    .await
                    .map_err(|e| matches!(e, AppError::Runtime(_)))
            ),
        ])
    });
    assert_eq!(
        out.unwrap(),
        ["Err(Failed(\"one\"))", "Ok(2)", "Err(true)"],
        "the failure cancelled nothing and the scope returned the body's result"
    );
}

/// A child that panics after the first failure (here a blocking one, which sees the
/// cancellation through the token and cannot be aborted) is not lost: its panic reaches
/// the panic hook, while the scope returns the first failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_after_the_first_failure_reach_the_hook() {
    goscope_tests::hook::install();
    let (started_tx, started) = goscope::chan::bounded::<()>(1);
    let out: Result<(), AppError> = scope!(|s| {
        let token = s.token();
        s.spawn_blocking(move || -> Result<(), AppError> {
            started_tx.send_blocking(()).unwrap();
            while !token.is_cancelled() {
                std::thread::yield_now();
            }
            panic!("scope-test: late panic after the failure");
        });
        s.spawn_local(async {
            started.recv().await;
            Err::<(), _>(AppError::Failed("first"))
        });
        Ok(())
    });
    assert_eq!(
        out,
        Err(AppError::Failed("first")),
        "the first failure wins"
    );
    let seen = goscope_tests::hook::seen_message("scope-test: late panic after the failure");
    assert_eq!(seen, 1, "the late panic reached the hook once");
}

/// SPEC: dropping a child's handle does not cancel the child; `handle.cancel()` does, and
/// is not a failure of the scope. For `'static` children (tasks of the scope's set,
/// cancelled by abort) as for local ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_static_childs_handle_cancels_it_and_dropping_it_does_not() {
    let (dropped_tx, dropped_rx) = tokio::sync::oneshot::channel();
    let finished = Arc::new(AtomicUsize::new(0));
    let out: Result<&str, Error> = scope!(|s| {
        let pending_child = s.spawn(async move {
            let _signal = DropSignal(Some(dropped_tx));
            pending::<()>().await;
            Ok(())
        });
        let finished2 = finished.clone();
        drop(s.spawn(async move {
            tokio::task::yield_now().await;
            finished2.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }));
        pending_child.cancel();
        assert!(matches!(pending_child.await, Err(Error::Cancelled)));
        Ok("the scope goes on")
    });
    assert_eq!(out.unwrap(), "the scope goes on");
    // The child's future is gone, whether it was aborted before or after it started (its
    // sender then went with it, unsent): the receiver resolves either way.
    let gone = tokio::time::timeout(Duration::from_secs(10), dropped_rx).await;
    assert!(gone.is_ok(), "the cancelled child was dropped");
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "the child whose handle was dropped ran"
    );
}

#[goscope::go]
async fn fetch_user(id: u64) -> String {
    tokio::task::yield_now().await;
    format!("user-{id}")
}

#[goscope::go]
async fn hold_forever(live: Live, started: tokio::sync::oneshot::Sender<()>) {
    let _guard = live.enter();
    let _ = started.send(());
    pending::<()>().await;
}

#[goscope::go]
async fn explode() -> u32 {
    panic!("adopted task exploded")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adopt_makes_a_go_task_a_child() {
    let out: Result<(String, String), Error> = scope!(|s| {
        let a = s.adopt(fetch_user(1));
        let b = s.adopt(fetch_user(2));
        Ok((a.await?, b.await?))
    });
    assert_eq!(out.unwrap(), ("user-1".to_owned(), "user-2".to_owned()));
}

#[goscope::go]
async fn hold_until_dropped(dropped: DropSignal, started: tokio::sync::oneshot::Sender<()>) {
    let _dropped = dropped;
    let _ = started.send(());
    pending::<()>().await;
}

/// `spawn` takes a `Task` like any future (`adopt` is the one way to adopt it): a child
/// that awaits the task. Its value comes through; cancelling the scope aborts the child,
/// whose drop cancels the task (which is not waited for, as an adopted one is).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_of_a_task_awaits_it_and_the_scopes_cancellation_cancels_it() {
    let out: Result<String, Error> = scope!(|s| { s.spawn(fetch_user(3)).await });
    assert_eq!(out.unwrap(), "user-3");
    let (dropped_tx, dropped_rx) = tokio::sync::oneshot::channel();
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let out: Result<(), Error> = scope!(|s| {
        s.spawn(hold_until_dropped(DropSignal(Some(dropped_tx)), started_tx));
        started_rx.await.expect("the task started");
        s.spawn(async { Err::<(), _>(Error::TimedOut(Duration::ZERO)) });
        Ok(())
    });
    assert!(matches!(out, Err(Error::TimedOut(_))));
    dropped_rx.await.expect("the task was cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adopted_task_is_cancelled_and_stopped_before_the_scope_returns() {
    let live = Live::default();
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let out: Result<(), AppError> = scope!(|s| {
        let held = s.adopt(hold_forever(live.clone(), started_tx));
        started_rx.await.expect("the adopted task started");
        s.spawn(async { Err::<(), _>(AppError::Failed("boom")) });
        assert!(
            matches!(held.await, Err(AppError::Runtime(m)) if m == Error::Cancelled.to_string())
        );
        Ok(())
    });
    assert_eq!(out, Err(AppError::Failed("boom")));
    assert_eq!(
        live.count(),
        0,
        "the adopted task stopped before the scope returned"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adopted_tasks_panic_is_the_scopes_failure() {
    let out: Result<u32, AppError> = scope!(|s| {
        s.adopt(explode());
        pending::<Result<u32, AppError>>().await
    });
    match out {
        Err(AppError::Runtime(message)) => assert!(
            message.contains("adopted task exploded"),
            "unexpected message: {message}"
        ),
        other => panic!("expected the panic as the scope's error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adopted_task_takes_no_limit_slot_and_the_others_still_run() {
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let live = Live::default();
    let out: Result<u32, Error> = scope!(limit = 1, |s| {
        let held = s.adopt(hold_forever(live.clone(), started_tx));
        started_rx.await.expect("the task runs without a slot");
        let other = s.spawn(async { Ok(7) });
        let value = other.await?;
        held.cancel();
        assert!(matches!(held.await, Err(Error::Cancelled)));
        Ok(value)
    });
    assert_eq!(out.unwrap(), 7);
    assert_eq!(live.count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_failure_cancels_the_body_too() {
    let (dropped_tx, dropped_rx) = tokio::sync::oneshot::channel();
    let out: Result<(), AppError> = scope!(|s| {
        let _signal = DropSignal(Some(dropped_tx));
        s.spawn(async { Err::<(), _>(AppError::Failed("child")) });
        pending::<Result<(), AppError>>().await
    });
    assert_eq!(out, Err(AppError::Failed("child")));
    dropped_rx.await.expect("the body was dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_took_the_childs_error_runs_on_and_decides_the_result() {
    let out: Result<&str, AppError> = scope!(|s| {
        let sleeper = s.spawn(async {
            pending::<()>().await;
            Ok(())
        });
        let local = s.spawn_local(async { Err::<(), _>(AppError::Failed("local")) });
        let error = local.await.unwrap_err();
        // The scope is cancelled now, but the body took the error: it runs on.
        assert!(s.is_cancelled());
        assert!(matches!(sleeper.await, Err(AppError::Runtime(_))));
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        assert_eq!(error, AppError::Failed("local"));
        Err(AppError::Failed("handled by the body"))
    });
    assert_eq!(out, Err(AppError::Failed("handled by the body")));
}

/// `let x = scope!(…)?;` with the error type named on the parameter (SPEC), so the result
/// can go straight into `?`: a child's error and a child's panic both arrive as `AppError`.
#[tokio::test]
async fn the_error_type_named_on_the_parameter_lets_the_result_go_into_question_mark() {
    async fn total(fail: bool) -> Result<u32, AppError> {
        let sum = scope!(limit = 2, |s: goscope::Scope<'_, AppError>| {
            let a = s.spawn(async { Ok(40) });
            let b = s.spawn_local(async move {
                if fail {
                    Err(AppError::Failed("b"))
                } else {
                    Ok(2)
                }
            });
            Ok(a.await? + b.await?)
        })?;
        Ok(sum)
    }
    assert_eq!(total(false).await, Ok(42));
    assert_eq!(total(true).await, Err(AppError::Failed("b")));

    let panicked: Result<(), AppError> = async {
        scope!(|s: goscope::Scope<'_, AppError>| {
            s.spawn(async {
                let broken = true;
                if broken {
                    panic!("typed scope child");
                }
                Ok(())
            });
            pending::<()>().await;
            Ok(())
        })?;
        Ok(())
    }
    .await;
    match panicked {
        Err(AppError::Runtime(text)) => assert!(text.ends_with(": typed scope child"), "{text}"),
        other => panic!("expected the child's panic, got {other:?}"),
    }
}
