//! The task manager, `goscope::manager`: serial initialise, parallel execute, reverse
//! cleanup, shutdown, failures, execute-only tasks (the built-in services are in
//! `manager_builtin.rs`).

use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use goscope::CancellationToken;
use goscope::manager::{BoxError, Cause, Manager, ManagerError, Phase, Service};
use goscope_tests::manager::{Log, cancel_after, events, ms, note, only};
use goscope_tests::{DropSignal, hook};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// What an initialise or a cleanup does.
#[derive(Clone, Copy)]
enum Act {
    Ok,
    Fail,
    Panic,
    Hang,
}

async fn act(act: Act, name: &str, phase: &str) -> Result<(), BoxError> {
    match act {
        Act::Ok => Ok(()),
        Act::Fail => Err(format!("{name} {phase} failed").into()),
        Act::Panic => panic!("{name} {phase} panicked"),
        Act::Hang => std::future::pending().await,
    }
}

type Exec =
    Arc<dyn Fn(CancellationToken) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

/// A service that logs `init X`, `cleanup X` and does what it is told in each phase; by
/// default its execute waits for `ctx` and logs `X stopped`.
struct Probe {
    name: &'static str,
    log: Log,
    init_delay: Duration,
    init: Act,
    cleanup: Act,
    exec: Exec,
}

impl Probe {
    fn new(name: &'static str, log: &Log) -> Self {
        let exec_log = Arc::clone(log);
        Probe {
            name,
            log: Arc::clone(log),
            init_delay: Duration::ZERO,
            init: Act::Ok,
            cleanup: Act::Ok,
            exec: Arc::new(move |ctx| {
                let log = Arc::clone(&exec_log);
                Box::pin(async move {
                    ctx.cancelled().await;
                    note(&log, format!("{name} stopped"));
                    Ok(())
                })
            }),
        }
    }

    fn init(mut self, act: Act) -> Self {
        self.init = act;
        self
    }

    fn init_delay(mut self, delay: Duration) -> Self {
        self.init_delay = delay;
        self
    }

    fn cleanup(mut self, act: Act) -> Self {
        self.cleanup = act;
        self
    }

    fn exec<F>(mut self, f: F) -> Self
    where
        F: Fn(CancellationToken) -> BoxFuture<'static, Result<(), BoxError>>
            + Send
            + Sync
            + 'static,
    {
        self.exec = Arc::new(f);
        self
    }
}

impl Service for Probe {
    fn name(&self) -> Cow<'static, str> {
        self.name.into()
    }

    async fn initialize(&mut self) -> Result<(), BoxError> {
        note(&self.log, format!("init {} start", self.name));
        tokio::time::sleep(self.init_delay).await;
        act(self.init, self.name, "init").await?;
        note(&self.log, format!("init {} done", self.name));
        Ok(())
    }

    async fn execute(&self, ctx: CancellationToken) -> Result<(), BoxError> {
        (self.exec)(ctx).await
    }

    async fn cleanup(&mut self) -> Result<(), BoxError> {
        note(&self.log, format!("cleanup {}", self.name));
        act(self.cleanup, self.name, "cleanup").await
    }
}

/// `Probe::exec` for an execute that sends `()` on `started`, then waits for `ctx`.
fn waits(
    name: &'static str,
    log: &Log,
    started: &mpsc::UnboundedSender<&'static str>,
) -> impl Fn(CancellationToken) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync + 'static
{
    let (log, started) = (Arc::clone(log), started.clone());
    move |ctx| {
        let (log, started) = (Arc::clone(&log), started.clone());
        Box::pin(async move {
            started.send(name).unwrap();
            ctx.cancelled().await;
            note(&log, format!("{name} stopped"));
            Ok(())
        })
    }
}

/// Waits for `n` names on `started`, with a bound.
async fn wait_started(started: &mut mpsc::UnboundedReceiver<&'static str>, n: usize) {
    for _ in 0..n {
        tokio::time::timeout(Duration::from_secs(60), started.recv())
            .await
            .expect("the executes started")
            .unwrap();
    }
}

/// The events of `log` with the ones in `unordered` (in any order in the middle) sorted.
fn with_sorted_middle(log: Vec<String>, before: usize, middle: usize) -> Vec<String> {
    let mut log = log;
    log[before..before + middle].sort();
    log
}

/// `init X start`, `init X done` for each of `inits`, then `rest`: a log as expected.
fn expected(inits: &[&str], rest: &[&str]) -> Vec<String> {
    let inits = inits
        .iter()
        .flat_map(|name| [format!("init {name} start"), format!("init {name} done")]);
    inits.chain(rest.iter().map(ToString::to_string)).collect()
}

/// An execute-only task that shuts the manager down after `after` (paused time: once
/// every other task is idle).
fn stop_after(manager: &mut Manager, after: Duration) {
    let handle = manager.handle();
    manager.add_execute("stopper", move |_ctx| async move {
        tokio::time::sleep(after).await;
        handle.shutdown();
        Ok(())
    });
}

// ===== initialise =====

#[tokio::test(start_paused = true)]
async fn initialises_serially_in_order_executes_then_cleans_up_in_reverse() {
    let log = Log::default();
    let mut manager = Manager::new();
    // A takes longest to initialise: in parallel, C would be done first.
    manager
        .add(Probe::new("A", &log).init_delay(ms(30)))
        .add(Probe::new("B", &log).init_delay(ms(20)))
        .add(Probe::new("C", &log).init_delay(ms(10)));
    // Paused time: the stopper's sleep ends only when every other task is idle, i.e.
    // every execute is waiting for its ctx.
    stop_after(&mut manager, Duration::from_secs(1));
    let start = Instant::now();
    manager.run().await.unwrap();
    assert_eq!(start.elapsed(), ms(60) + Duration::from_secs(1));
    assert_eq!(
        with_sorted_middle(events(&log), 6, 3),
        expected(
            &["A", "B", "C"],
            &[
                "A stopped",
                "B stopped",
                "C stopped",
                "cleanup C",
                "cleanup B",
                "cleanup A"
            ]
        )
    );
}

#[tokio::test(start_paused = true)]
async fn an_initialise_error_stops_and_cleans_up_only_the_initialised_in_reverse() {
    let log = Log::default();
    let mut manager = Manager::new();
    let executed = Arc::new(Mutex::new(false));
    let flag = Arc::clone(&executed);
    manager
        .add(Probe::new("A", &log))
        .add(Probe::new("B", &log))
        .add(Probe::new("C", &log).init(Act::Fail))
        .add(Probe::new("D", &log))
        .add_execute("never", move |_ctx| async move {
            *flag.lock().unwrap() = true;
            Ok(())
        });
    let error = manager.run().await.unwrap_err();
    assert_eq!(
        events(&log),
        expected(&["A", "B"], &["init C start", "cleanup B", "cleanup A"])
    );
    assert!(
        !*executed.lock().unwrap(),
        "nothing executes after a failed initialise"
    );
    let failure = only(&error);
    assert_eq!(
        (failure.service.as_str(), failure.phase),
        ("C", Phase::Initialize)
    );
    assert!(matches!(&failure.cause, Cause::Error(e) if e.to_string() == "C init failed"));
    assert_eq!(
        error.to_string(),
        "initialize of service `C` failed: C init failed"
    );
}

#[tokio::test(start_paused = true)]
async fn an_initialise_panic_is_captured_and_stops_like_an_error() {
    hook::install();
    let log = Log::default();
    let mut manager = Manager::new();
    manager
        .add(Probe::new("A", &log))
        .add(Probe::new("manager.init-panics", &log).init(Act::Panic));
    let error = manager.run().await.unwrap_err();
    assert_eq!(
        events(&log),
        expected(&["A"], &["init manager.init-panics start", "cleanup A"])
    );
    let failure = only(&error);
    assert_eq!(failure.phase, Phase::Initialize);
    let panic = failure.cause.panic().expect("a captured panic");
    assert_eq!(panic.message(), Some("manager.init-panics init panicked"));
    assert_eq!(panic.task_name(), Some("manager.init-panics"));
    assert_eq!(hook::seen("manager.init-panics").len(), 1);
}

// ===== execute =====

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executes_run_in_parallel_tasks() {
    // Two executes that can only finish if they run at the same time on two threads:
    // each blocks its thread until it hears from the other.
    let log = Log::default();
    let (to_b, from_a) = std::sync::mpsc::channel::<()>();
    let (to_a, from_b) = std::sync::mpsc::channel::<()>();
    let pairs = Arc::new(Mutex::new([Some((to_b, from_b)), Some((to_a, from_a))]));
    let mut manager = Manager::new();
    for (i, name) in ["A", "B"].into_iter().enumerate() {
        let (pairs, log) = (Arc::clone(&pairs), Arc::clone(&log));
        manager.add(Probe::new(name, &log).exec(move |_ctx| {
            let (tell, hear) = pairs.lock().unwrap()[i].take().unwrap();
            let log = Arc::clone(&log);
            Box::pin(async move {
                tell.send(()).unwrap();
                let heard = hear.recv_timeout(Duration::from_secs(10)).is_ok();
                note(&log, format!("{name} heard the other: {heard}"));
                Ok(())
            })
        }));
    }
    // Both executes return: nothing is left to run, the manager ends by itself.
    tokio::time::timeout(Duration::from_secs(30), manager.run())
        .await
        .expect("the manager ended")
        .unwrap();
    assert_eq!(
        with_sorted_middle(events(&log), 4, 2),
        expected(
            &["A", "B"],
            &[
                "A heard the other: true",
                "B heard the other: true",
                "cleanup B",
                "cleanup A"
            ]
        )
    );
}

#[tokio::test(start_paused = true)]
async fn the_first_execute_error_cancels_every_other_ctx() {
    let log = Log::default();
    let (started, mut heard) = mpsc::unbounded_channel();
    let mut manager = Manager::new();
    let waiting = Arc::new(tokio::sync::Mutex::new(None::<oneshot::Receiver<()>>));
    let (go, gate) = oneshot::channel();
    *waiting.try_lock().unwrap() = Some(gate);
    manager
        .add(Probe::new("A", &log).exec(waits("A", &log, &started)))
        .add(Probe::new("B", &log).exec(move |_ctx| {
            let waiting = Arc::clone(&waiting);
            Box::pin(async move {
                let gate = waiting.lock().await.take().unwrap();
                gate.await.unwrap();
                Err("B broke".into())
            })
        }))
        .add_execute("C", waits("C", &log, &started));
    let run = goscope::go(manager.run());
    wait_started(&mut heard, 2).await; // A and C are running
    go.send(()).unwrap(); // now B fails
    let error = run.await.unwrap().unwrap_err();
    let failure = only(&error);
    assert_eq!(
        (failure.service.as_str(), failure.phase),
        ("B", Phase::Execute)
    );
    assert_eq!(error.to_string(), "execute of service `B` failed: B broke");
    assert_eq!(
        with_sorted_middle(events(&log), 4, 2),
        expected(
            &["A", "B"],
            &["A stopped", "C stopped", "cleanup B", "cleanup A"]
        )
    );
}

#[tokio::test(start_paused = true)]
async fn a_panic_in_an_execute_is_captured_cancels_the_others_and_cleanups_still_run() {
    hook::install();
    let log = Log::default();
    let (started, mut heard) = mpsc::unbounded_channel();
    let (go, gate) = oneshot::channel::<()>();
    let gate = Arc::new(Mutex::new(Some(gate)));
    let mut manager = Manager::new();
    manager
        .add(Probe::new("A", &log).exec(waits("A", &log, &started)))
        .add(Probe::new("manager.exec-panics", &log).exec(move |_ctx| {
            let gate = gate.lock().unwrap().take().unwrap();
            Box::pin(async move {
                gate.await.unwrap();
                panic!("exploded");
            })
        }));
    let run = goscope::go(manager.run());
    wait_started(&mut heard, 1).await;
    go.send(()).unwrap();
    let error = run.await.unwrap().unwrap_err();
    let failure = only(&error);
    assert_eq!(
        (failure.service.as_str(), failure.phase),
        ("manager.exec-panics", Phase::Execute)
    );
    let Cause::Panicked(panic) = &failure.cause else {
        panic!("not a panic: {failure}");
    };
    assert_eq!(panic.message(), Some("exploded"));
    assert_eq!(panic.task_name(), Some("manager.exec-panics"));
    assert!(
        error
            .to_string()
            .starts_with("execute of service `manager.exec-panics` failed: task `manager.exec-panics` panicked at "),
        "{error}"
    );
    assert_eq!(hook::seen("manager.exec-panics").len(), 1);
    assert_eq!(
        &events(&log)[4..],
        ["A stopped", "cleanup manager.exec-panics", "cleanup A"]
    );
}

#[tokio::test(start_paused = true)]
async fn an_execute_that_returns_early_leaves_the_others_running_and_all_returned_ends_it() {
    let log = Log::default();
    let mut manager = Manager::new();
    let (done, a_done) = oneshot::channel::<()>();
    let done = Arc::new(Mutex::new(Some(done)));
    let b_log = Arc::clone(&log);
    let a_gate = Arc::new(Mutex::new(Some(a_done)));
    manager
        .add(Probe::new("A", &log).exec(move |_ctx| {
            let done = done.lock().unwrap().take().unwrap();
            Box::pin(async move {
                let _ = done.send(());
                Ok(()) // done early
            })
        }))
        .add(Probe::new("B", &log).exec(move |ctx| {
            let (log, a_done) = (Arc::clone(&b_log), a_gate.lock().unwrap().take().unwrap());
            Box::pin(async move {
                a_done.await.unwrap();
                tokio::time::sleep(Duration::from_secs(5)).await;
                note(
                    &log,
                    format!("B after A: ctx cancelled = {}", ctx.is_cancelled()),
                );
                Ok(())
            })
        }));
    manager.run().await.unwrap();
    assert_eq!(
        &events(&log)[4..],
        ["B after A: ctx cancelled = false", "cleanup B", "cleanup A"]
    );
}

#[tokio::test(start_paused = true)]
async fn an_execute_that_ignores_its_ctx_is_aborted_after_the_stop_timeout() {
    let log = Log::default();
    let mut manager = Manager::new();
    manager
        .stop_timeout(Duration::from_secs(3))
        .add(Probe::new("A", &log))
        .add(Probe::new("stubborn", &log).exec(|_ctx| Box::pin(std::future::pending())));
    let start = Instant::now();
    let stopper = cancel_after(manager.shutdown_token(), Duration::from_secs(1));
    let error = manager.run().await.unwrap_err();
    stopper.await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(4));
    assert!(error.first.is_none(), "a shutdown stopped it: {error}");
    assert_eq!(error.later.len(), 1);
    let failure = &error.later[0];
    assert_eq!(
        (failure.service.as_str(), failure.phase),
        ("stubborn", Phase::Execute)
    );
    assert!(matches!(failure.cause, Cause::TimedOut(d) if d == Duration::from_secs(3)));
    assert_eq!(
        &events(&log)[4..],
        ["A stopped", "cleanup stubborn", "cleanup A"]
    );
}

#[tokio::test(start_paused = true)]
async fn nothing_outlives_run_not_even_an_aborted_execute() {
    // When `run` returns, every execute's future has been dropped: the one that
    // returned, and the one the stop timeout aborted.
    let (returned_tx, mut returned) = oneshot::channel();
    let (aborted_tx, mut aborted) = oneshot::channel();
    let mut manager = Manager::new();
    manager
        .stop_timeout(Duration::from_secs(1))
        .add_execute("returns", move |ctx| async move {
            let _dropped = DropSignal(Some(returned_tx));
            ctx.cancelled().await;
            Ok(())
        })
        .add_execute("ignores-ctx", move |_ctx| async move {
            let _dropped = DropSignal(Some(aborted_tx));
            std::future::pending().await
        });
    stop_after(&mut manager, Duration::from_secs(1));
    let error = manager.run().await.unwrap_err();
    assert_eq!(returned.try_recv(), Ok(()));
    assert_eq!(aborted.try_recv(), Ok(()));
    let names: Vec<_> = error.failures().map(|f| f.service.as_str()).collect();
    assert_eq!(names, ["ignores-ctx"]);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_run_future_aborts_the_executes_and_skips_the_cleanups() {
    let log = Log::default();
    let (dropped_tx, dropped) = oneshot::channel();
    let dropped_tx = Mutex::new(Some(dropped_tx));
    let (started, mut heard) = mpsc::unbounded_channel();
    let mut manager = Manager::new();
    manager.add(Probe::new("A", &log).exec(move |_ctx| {
        let guard = DropSignal(dropped_tx.lock().unwrap().take());
        let started = started.clone();
        Box::pin(async move {
            let _guard = guard;
            started.send("A").unwrap();
            std::future::pending().await
        })
    }));
    let run = goscope::go(manager.run());
    wait_started(&mut heard, 1).await;
    run.cancel(); // drops the `run` future
    tokio::time::timeout(Duration::from_secs(60), dropped)
        .await
        .expect("the execute was dropped")
        .unwrap();
    assert_eq!(events(&log), expected(&["A"], &[]));
}

// ===== shutdown =====

#[tokio::test(start_paused = true)]
async fn a_shutdown_token_stops_cleanly_and_cleans_up_in_reverse() {
    let log = Log::default();
    let app = CancellationToken::new();
    let (started, mut heard) = mpsc::unbounded_channel();
    let mut manager = Manager::new();
    manager
        .shutdown_with(app.child_token())
        .add(Probe::new("db", &log).exec(waits("db", &log, &started)))
        .add(Probe::new("api", &log).exec(waits("api", &log, &started)))
        .add_execute("metrics", waits("metrics", &log, &started));
    let run = goscope::go(manager.run());
    wait_started(&mut heard, 3).await;
    app.cancel();
    assert!(run.await.unwrap().is_ok(), "a shutdown is not a failure");
    assert_eq!(
        with_sorted_middle(events(&log), 4, 3),
        expected(
            &["db", "api"],
            &[
                "api stopped",
                "db stopped",
                "metrics stopped",
                "cleanup api",
                "cleanup db"
            ]
        )
    );
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_during_initialise_cancels_it_and_cleans_up_the_initialised() {
    let log = Log::default();
    let mut manager = Manager::new();
    manager
        .add(Probe::new("A", &log))
        .add(Probe::new("slow", &log).init_delay(Duration::from_secs(60)))
        .add(Probe::new("C", &log));
    let stopper = cancel_after(manager.shutdown_token(), Duration::from_secs(1));
    let start = Instant::now();
    manager.run().await.unwrap();
    stopper.await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(
        events(&log),
        expected(&["A"], &["init slow start", "cleanup A"])
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_is_a_clean_shutdown_with_shutdown_on_signals() {
    a_signal_is_a_clean_shutdown("-TERM").await;
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_is_a_clean_shutdown_with_shutdown_on_signals() {
    a_signal_is_a_clean_shutdown("-INT").await;
}

/// Sends `signal` (a `kill` flag) to this process while a manager with
/// `shutdown_on_signals` runs, and checks that it stopped cleanly, by cancelling its
/// shutdown token itself: a service outside the manager that watches the token stops.
#[cfg(unix)]
async fn a_signal_is_a_clean_shutdown(signal: &str) {
    // Real time (the signal comes through the I/O driver), bounded waits. On a
    // current-thread runtime the handlers are registered in the manager's first poll,
    // before any execute can start: once one has, the signal is caught, not fatal. A
    // signal reaches every manager listening in the process: the signal tests take
    // turns.
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    let log = Log::default();
    let (started, mut heard) = mpsc::unbounded_channel();
    let mut manager = Manager::new();
    manager
        .shutdown_on_signals()
        .add(Probe::new("A", &log).exec(waits("A", &log, &started)));
    let shutdown = manager.shutdown_token();
    let watched = shutdown.clone();
    let outside = goscope::go(async move { watched.cancelled().await });
    let run = goscope::go(manager.run());
    wait_started(&mut heard, 1).await;
    let status = std::process::Command::new("kill")
        .args([signal, &std::process::id().to_string()])
        .status()
        .expect("`kill` runs");
    assert!(status.success());
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("the signal stopped the manager")
        .unwrap()
        .unwrap();
    assert!(
        shutdown.is_cancelled(),
        "the signal left the shutdown token alone"
    );
    tokio::time::timeout(Duration::from_secs(30), outside)
        .await
        .expect("the service watching the shutdown token stopped")
        .unwrap();
    assert_eq!(events(&log), expected(&["A"], &["A stopped", "cleanup A"]));
}

// ===== cleanup =====

#[tokio::test(start_paused = true)]
async fn a_cleanup_past_its_timeout_is_reported_and_the_others_still_run() {
    let log = Log::default();
    let mut manager = Manager::new();
    manager
        .cleanup_timeout(Duration::from_secs(5))
        .add(Probe::new("A", &log))
        .add(Probe::new("B", &log).cleanup(Act::Hang))
        .add(Probe::new("C", &log));
    stop_after(&mut manager, Duration::from_secs(1));
    let start = Instant::now();
    let error = manager.run().await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(6));
    assert_eq!(&events(&log)[9..], ["cleanup C", "cleanup B", "cleanup A"]);
    assert!(error.first.is_none(), "a shutdown stopped it: {error}");
    assert_eq!(error.later.len(), 1);
    let failure = &error.later[0];
    assert_eq!(
        (failure.service.as_str(), failure.phase),
        ("B", Phase::Cleanup)
    );
    assert!(matches!(failure.cause, Cause::TimedOut(d) if d == Duration::from_secs(5)));
    assert_eq!(
        error.to_string(),
        "cleanup of service `B` failed: timed out after 5s"
    );
}

#[tokio::test(start_paused = true)]
async fn every_failure_is_reported_in_order_after_the_first() {
    hook::install();
    let log = Log::default();
    let mut manager = Manager::new();
    manager
        .add(Probe::new("A", &log).cleanup(Act::Fail))
        .add(Probe::new("manager.cleanup-panics", &log).cleanup(Act::Panic))
        .add(Probe::new("C", &log))
        .add(Probe::new("D", &log).exec(|_ctx| Box::pin(async { Err("D broke".into()) })));
    let error = manager.run().await.unwrap_err();
    assert_eq!(
        with_sorted_middle(events(&log), 8, 3)[8..],
        [
            "A stopped",
            "C stopped",
            "manager.cleanup-panics stopped",
            "cleanup D",
            "cleanup C",
            "cleanup manager.cleanup-panics",
            "cleanup A",
        ]
    );
    let summary: Vec<_> = error
        .failures()
        .map(|f| (f.service.as_str(), f.phase))
        .collect();
    assert_eq!(
        summary,
        [
            ("D", Phase::Execute),
            ("manager.cleanup-panics", Phase::Cleanup),
            ("A", Phase::Cleanup),
        ]
    );
    assert_eq!(error.in_phase(Phase::Cleanup).count(), 2);
    assert!(
        matches!(&error.later[1].cause, Cause::Error(e) if e.to_string() == "A cleanup failed")
    );
    let panic = error.later[0].cause.panic().expect("a captured panic");
    assert_eq!(
        panic.message(),
        Some("manager.cleanup-panics cleanup panicked")
    );
    assert_eq!(hook::seen("manager.cleanup-panics").len(), 1);
    let text = error.to_string();
    let parts: Vec<_> = text.split("; then ").collect();
    assert_eq!(parts.len(), 3, "{text}");
    assert_eq!(parts[0], "execute of service `D` failed: D broke");
    assert!(
        parts[1].starts_with(
            "cleanup of service `manager.cleanup-panics` failed: task `manager.cleanup-panics` panicked at "
        ) && parts[1].ends_with(": manager.cleanup-panics cleanup panicked"),
        "{text}"
    );
    assert_eq!(parts[2], "cleanup of service `A` failed: A cleanup failed");
}

// ===== execute-only tasks =====

#[tokio::test(start_paused = true)]
async fn an_execute_only_task_added_while_running_runs_and_is_cancelled_with_the_rest() {
    let log = Log::default();
    let (started, mut heard) = mpsc::unbounded_channel();
    let mut manager = Manager::new();
    manager.add(Probe::new("A", &log).exec(waits("A", &log, &started)));
    let handle = manager.handle();
    let run = goscope::go(manager.run());
    wait_started(&mut heard, 1).await; // the execute phase is on
    handle
        .add_execute("late", waits("late", &log, &started))
        .expect("the manager is running");
    wait_started(&mut heard, 1).await; // the late task runs
    handle.shutdown();
    run.await.unwrap().unwrap();
    assert_eq!(
        with_sorted_middle(events(&log), 2, 2),
        expected(&["A"], &["A stopped", "late stopped", "cleanup A"])
    );
}

#[tokio::test(start_paused = true)]
async fn adding_after_the_manager_has_finished_is_an_error() {
    let manager = Manager::new();
    let handle = manager.handle();
    manager.run().await.unwrap(); // nothing to run: done at once
    let error = handle
        .add_execute("too-late", |_ctx| async { Ok(()) })
        .unwrap_err();
    assert_eq!(error.name(), "too-late");
    assert_eq!(
        error.to_string(),
        "cannot add `too-late`: the manager is shutting down or has finished"
    );
}

#[tokio::test(start_paused = true)]
async fn adding_while_the_manager_stops_is_an_error_and_the_task_never_starts() {
    let mut manager = Manager::new();
    let handle = manager.handle();
    let ran = Arc::new(Mutex::new(false));
    let flag = Arc::clone(&ran);
    let (result_tx, result_rx) = oneshot::channel();
    manager.add_execute("adds-when-cancelled", move |ctx| async move {
        ctx.cancelled().await;
        let added = handle.add_execute("refused", move |_ctx| async move {
            *flag.lock().unwrap() = true;
            Ok(())
        });
        let _ = result_tx.send(added.map_err(|e| e.name().to_owned()));
        Ok(())
    });
    manager.handle().shutdown();
    // Shut down before the execute phase: nothing executes at all.
    manager.run().await.unwrap();
    assert!(result_rx.await.is_err(), "the task never ran");

    // The same, shut down while it runs.
    let mut manager = Manager::new();
    let handle = manager.handle();
    let (result_tx, result_rx) = oneshot::channel();
    let flag = Arc::clone(&ran);
    manager.add_execute("adds-when-cancelled", move |ctx| async move {
        ctx.cancelled().await;
        let added = handle.add_execute("refused", move |_ctx| async move {
            *flag.lock().unwrap() = true;
            Ok(())
        });
        let _ = result_tx.send(added.map_err(|e| e.name().to_owned()));
        Ok(())
    });
    stop_after(&mut manager, Duration::from_secs(1));
    manager.run().await.unwrap();
    assert_eq!(result_rx.await.unwrap(), Err("refused".to_owned()));
    assert!(!*ran.lock().unwrap());
}

#[test]
fn the_run_future_the_handle_and_the_errors_are_send() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>() {}
    let manager = Manager::new();
    let handle = manager.handle();
    let run = manager.run();
    send(&run);
    send(&handle);
    drop(run);
    send_sync::<goscope::manager::ManagerHandle>();
    send_sync::<goscope::manager::AddError>();
    fn error_is_send(error: ManagerError) -> Box<dyn std::error::Error + Send> {
        Box::new(error)
    }
    let _ = error_is_send;
}
