//! Tasks: `go`, `go_blocking`, `#[go]`, `Task<T>`, panic capture and the hooks.

use std::panic::AssertUnwindSafe;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use goscope::{Error, PanicError, Task, go, go_blocking, go_ctx, go_with_recover};
use goscope_tests::{DropSignal, hook};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

fn panic_of<T: std::fmt::Debug>(r: Result<T, Error>) -> PanicError {
    match r {
        Err(Error::Panicked(p)) => p,
        other => panic!("expected Err(Panicked), got {other:?}"),
    }
}

fn payload_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => (*payload.downcast::<&str>().unwrap()).to_owned(),
    }
}

// ----- values and start -----

#[tokio::test]
async fn go_returns_the_value() {
    let task = go(async { 6 * 7 });
    assert_eq!(task.await.unwrap(), 42);
}

#[goscope::go]
async fn report_started(tx: oneshot::Sender<u32>, release: oneshot::Receiver<()>) -> u32 {
    tx.send(7).unwrap();
    release.await.unwrap();
    70
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_fn_starts_before_it_is_awaited() {
    let (tx, started) = oneshot::channel();
    let (release, rx) = oneshot::channel();
    let task = report_started(tx, rx);
    // The body has run up to its first side effect without the task being awaited.
    assert_eq!(started.await.unwrap(), 7);
    release.send(()).unwrap();
    assert_eq!(task.await.unwrap(), 70);
}

#[tokio::test]
async fn go_fn_is_named_after_its_path() {
    let (tx, _started) = oneshot::channel();
    let (_release, rx) = oneshot::channel();
    let task = report_started(tx, rx);
    assert_eq!(task.name(), Some("tasks::report_started"));
    assert_eq!(go(async {}).name(), None);
}

// ----- panics -----

#[tokio::test]
async fn panic_with_str_payload_is_captured_with_its_location() {
    hook::install();
    let line = line!() + 2;
    let task: Task<()> = goscope::__private::spawn(&"tests.str-panic", async {
        panic!("str boom");
    });
    let p = panic_of(task.await);
    assert_eq!(p.message(), Some("str boom"));
    assert_eq!(p.task_name(), Some("tests.str-panic"));
    let loc = p.location().expect("the hook saw the panic");
    assert!(loc.file().ends_with("tasks.rs"), "{loc}");
    assert_eq!(loc.line(), line);
    // The spawn location is the call above, not the panic.
    assert_eq!(p.spawned_at().unwrap().line(), line - 1);
    assert_eq!(
        p.to_string(),
        format!("task `tests.str-panic` panicked at {loc}: str boom")
    );
    // The observer saw exactly this panic, once.
    let seen = hook::seen("tests.str-panic");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].message.as_deref(), Some("str boom"));
    assert_eq!(seen[0].location.as_deref(), Some(&*loc.to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panic_with_string_payload_is_captured() {
    let id = 17;
    let line = line!() + 1;
    let p = panic_of(go(async move { panic!("job {id} failed") }).await);
    assert_eq!(p.message(), Some("job 17 failed"));
    assert_eq!(p.location().unwrap().line(), line);
    assert_eq!(p.task_name(), None);
    assert!(p.payload().is::<String>());
    assert!(p.to_string().starts_with("a task panicked at "));
}

#[tokio::test]
async fn panic_with_non_string_payload_keeps_the_payload() {
    let p = panic_of(go(async { std::panic::panic_any(404_u16) }).await);
    assert_eq!(p.message(), None);
    assert!(p.location().is_some());
    assert!(p.to_string().ends_with("with a non-string payload"), "{p}");
    assert_eq!(*p.into_panic().downcast::<u16>().unwrap(), 404);
}

#[goscope::go(name = "tests.named-panic")]
async fn named_panic(code: u32) -> u32 {
    if code > 0 {
        panic!("code {code}");
    }
    code
}

#[tokio::test]
async fn go_fn_panic_carries_the_given_name() {
    let p = panic_of(named_panic(3).await);
    assert_eq!(p.task_name(), Some("tests.named-panic"));
    assert_eq!(p.message(), Some("code 3"));
    assert_eq!(named_panic(0).await.unwrap(), 0);
}

#[goscope::go]
async fn default_named_panic() {
    panic!("default name")
}

#[tokio::test]
async fn go_fn_panic_carries_the_fn_path() {
    let line = line!() + 1;
    let p = panic_of(default_named_panic().await);
    assert_eq!(p.task_name(), Some("tasks::default_named_panic"));
    // `#[go]` fns are `#[track_caller]`: spawned at the call, not in the fn.
    assert_eq!(p.spawned_at().unwrap().line(), line);
    assert!(p.spawned_at().unwrap().file().ends_with("tasks.rs"));
}

#[tokio::test]
async fn resume_unwind_re_raises_the_task_panic() {
    let p = panic_of(go(async { panic!("re-raise me") }).await);
    let caught = std::panic::catch_unwind(AssertUnwindSafe(|| {
        std::panic::resume_unwind(p.into_panic())
    }))
    .unwrap_err();
    assert_eq!(payload_message(caught), "re-raise me");
}

// ----- cancellation -----

#[tokio::test]
async fn cancel_gives_cancelled() {
    let (guard_tx, dropped) = oneshot::channel();
    let guard = DropSignal(Some(guard_tx));
    let task = go(async move {
        let _guard = guard;
        std::future::pending::<u32>().await
    });
    assert!(!task.is_cancelled());
    task.cancel();
    assert!(task.is_cancelled());
    assert!(matches!(task.await, Err(Error::Cancelled)));
    // The future was dropped, not merely forgotten.
    dropped.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_task_cancels_it() {
    let (started_tx, started) = oneshot::channel();
    let (guard_tx, dropped) = oneshot::channel();
    let task = go(async move {
        let _guard = DropSignal(Some(guard_tx));
        started_tx.send(()).unwrap();
        std::future::pending::<()>().await
    });
    started.await.unwrap();
    drop(task);
    // The drop guard inside the task runs: the task's future was dropped.
    dropped.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detach_keeps_running_and_its_panic_reaches_the_hook() {
    hook::install();
    let (go_on, wait) = oneshot::channel::<()>();
    let (out_tx, mut out) = mpsc::channel(1);
    let task = goscope::__private::spawn(&"tests.detached", async move {
        wait.await.unwrap();
        out_tx.send("still running").await.unwrap();
        panic!("detached boom");
    });
    task.detach();
    go_on.send(()).unwrap();
    assert_eq!(out.recv().await, Some("still running"));
    let seen = hook::wait_for("tests.detached").await;
    assert_eq!(seen.message.as_deref(), Some("detached boom"));
    assert!(seen.location.unwrap().contains("tasks.rs"));
}

#[goscope::go(detach, name = "tests.detach-fn")]
async fn detached_fn(tx: mpsc::Sender<u32>) {
    tx.send(5).await.unwrap();
}

#[tokio::test]
async fn go_detach_fn_runs_without_a_handle() {
    let (tx, mut rx) = mpsc::channel(1);
    let () = detached_fn(tx);
    assert_eq!(rx.recv().await, Some(5));
}

#[tokio::test]
async fn a_panicking_hook_is_swallowed() {
    hook::install();
    let task: Task<u8> =
        goscope::__private::spawn(&hook::PANICKING_HOOK_TASK, async { panic!("task boom") });
    // The observer panicked while reporting; the task's result is unaffected.
    let p = panic_of(task.await);
    assert_eq!(p.message(), Some("task boom"));
    // And the runtime and the observer keep working for the next panic.
    let next: Task<u8> =
        goscope::__private::spawn(&"tests.after-hook-panic", async { panic!("next boom") });
    assert_eq!(panic_of(next.await).message(), Some("next boom"));
    assert_eq!(hook::seen("tests.after-hook-panic").len(), 1);
}

// ----- timeout -----

#[tokio::test(start_paused = true)]
async fn timeout_cancels_a_slow_task() {
    let (guard_tx, dropped) = oneshot::channel();
    let slow = go(async move {
        let _guard = DropSignal(Some(guard_tx));
        tokio::time::sleep(Duration::from_secs(10)).await;
        1
    });
    let start = tokio::time::Instant::now();
    let r = slow.timeout(Duration::from_secs(3)).await;
    assert!(matches!(r, Err(Error::TimedOut(d)) if d == Duration::from_secs(3)));
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    dropped.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn timeout_returns_a_fast_result() {
    let fast = go(async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        "done"
    });
    let r = fast.timeout(Duration::from_secs(3)).await;
    assert_eq!(r.unwrap(), "done");
}

// ----- blocking -----

#[tokio::test]
async fn go_blocking_runs_on_the_blocking_pool() {
    let caller = std::thread::current().id();
    let task = go_blocking(move || (std::thread::current().id() != caller, 21 * 2));
    assert_eq!(task.await.unwrap(), (true, 42));
}

#[tokio::test]
async fn go_blocking_captures_a_panic() {
    let p = panic_of(go_blocking(|| -> u8 { panic!("blocking boom") }).await);
    assert_eq!(p.message(), Some("blocking boom"));
    assert!(p.location().unwrap().file().ends_with("tasks.rs"));
}

#[goscope::go(blocking)]
fn checksum(data: Vec<u8>) -> u64 {
    data.iter().map(|&b| u64::from(b)).sum()
}

#[tokio::test]
async fn go_blocking_fn_returns_its_value() {
    let task = checksum(vec![1, 2, 3, 250]);
    assert_eq!(task.name(), Some("tasks::checksum"));
    assert_eq!(task.await.unwrap(), 256);
}

// ----- wait -----

#[test]
fn wait_from_a_std_thread() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let task = {
        let _enter = rt.enter();
        go(async { "from the runtime" })
    };
    let out = std::thread::spawn(move || task.wait_blocking())
        .join()
        .unwrap();
    assert_eq!(out.unwrap(), "from the runtime");
}

#[test]
fn wait_inside_entered_runtime_and_blocking_pool() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    // On a thread that has entered the runtime but runs no async code.
    let _enter = rt.enter();
    assert_eq!(go(async { 1 }).wait_blocking().unwrap(), 1);
    // On the blocking pool, waiting for another task is fine.
    let inner = go_blocking(|| go(async { 2 }).wait_blocking());
    assert_eq!(inner.wait_blocking().unwrap().unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_inside_a_task_panics_with_a_message() {
    let p = panic_of(
        go(async {
            let other = go(async { 1 });
            other.wait_blocking()
        })
        .await,
    );
    let msg = p.message().unwrap();
    assert!(
        msg.contains("`Task::wait_blocking()` called inside a goscope task"),
        "{msg}"
    );
    assert!(msg.contains("`.await` the task instead"), "{msg}");
}

#[tokio::test]
async fn wait_in_block_on_panics_instead_of_deadlocking() {
    // This thread drives the current-thread runtime: blocking it would deadlock.
    let task = go(async { 1 });
    let payload = std::panic::catch_unwind(AssertUnwindSafe(|| task.wait_blocking())).unwrap_err();
    let msg = payload_message(payload);
    assert!(
        msg.contains("Cannot start a runtime from within a runtime"),
        "{msg}"
    );
}

// ----- runtimes -----

async fn mixed_work() -> u64 {
    let tasks: Vec<_> = (0..100_u64).map(|i| go(async move { i * 2 })).collect();
    let mut sum = 0;
    for t in tasks {
        sum += t.await.unwrap();
    }
    sum += go_blocking(|| 1).await.unwrap();
    sum += panic_of(go(async { panic!("x") }).await)
        .message()
        .unwrap()
        .len() as u64;
    sum
}

#[test]
fn works_on_current_thread_and_multi_thread_runtimes() {
    let current = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let expected = 9900 + 1 + 1;
    assert_eq!(current.block_on(mixed_work()), expected);
    assert_eq!(multi.block_on(mixed_work()), expected);
}

#[test]
fn go_outside_a_runtime_names_the_fix() {
    let payload = std::panic::catch_unwind(|| go(async {})).unwrap_err();
    let msg = payload_message(payload);
    assert!(
        msg.starts_with("goscope needs a Tokio runtime to start a task"),
        "{msg}"
    );
    assert!(msg.contains("`#[tokio::main]`"), "{msg}");
    let payload = std::panic::catch_unwind(|| go_blocking(|| {})).unwrap_err();
    assert!(payload_message(payload).contains("`#[tokio::main]`"));
}

// ----- go_ctx and go_with_recover -----

#[tokio::test]
async fn go_ctx_is_cancelled_by_its_token() {
    let token = CancellationToken::new();
    let (guard_tx, dropped) = oneshot::channel();
    let (ctx_tx, ctx_rx) = oneshot::channel();
    let task = go_ctx(token.clone(), |ctx| async move {
        let _guard = DropSignal(Some(guard_tx));
        ctx_tx.send(ctx).unwrap();
        std::future::pending::<u32>().await
    });
    let ctx = ctx_rx.await.unwrap();
    assert!(!ctx.is_cancelled());
    token.cancel();
    assert!(matches!(task.await, Err(Error::Cancelled)));
    dropped.await.unwrap();
    assert!(ctx.is_cancelled());
}

#[tokio::test]
async fn go_ctx_returns_the_value_and_cancels_ctx_on_exit() {
    let token = CancellationToken::new();
    let (ctx_tx, ctx_rx) = oneshot::channel();
    let task = go_ctx(token.clone(), |ctx| async move {
        ctx_tx.send(ctx.clone()).unwrap();
        5
    });
    assert_eq!(task.await.unwrap(), 5);
    // Like Go's `defer cancel()`: the child context ends with the task...
    assert!(ctx_rx.await.unwrap().is_cancelled());
    // ...but the parent token does not.
    assert!(!token.is_cancelled());
}

#[tokio::test]
async fn go_ctx_on_a_cancelled_token_never_runs() {
    let token = CancellationToken::new();
    token.cancel();
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let task = go_ctx(token, move |_| async move {
        r.fetch_add(1, Ordering::SeqCst);
    });
    let out = task.await;
    assert!(matches!(out, Err(Error::Cancelled)));
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_with_recover_hands_the_panic_to_recover() {
    let (tx, rx) = oneshot::channel();
    let line = line!() + 1;
    go_with_recover(async { panic!("recover me") }, move |p: PanicError| {
        tx.send((
            p.message().map(str::to_owned),
            p.location().map(|l| l.line()),
        ))
        .unwrap();
    });
    let (message, at) = rx.await.unwrap();
    assert_eq!(message.as_deref(), Some("recover me"));
    assert_eq!(at, Some(line));
}

#[tokio::test]
async fn go_with_recover_without_panic_does_not_call_recover() {
    let (done_tx, done) = oneshot::channel();
    let (recover_tx, recovered) = oneshot::channel::<()>();
    go_with_recover(
        async move {
            done_tx.send(()).unwrap();
        },
        move |_| recover_tx.send(()).unwrap(),
    );
    done.await.unwrap();
    // The recover closure was dropped unused: its sender is gone without a message.
    assert!(recovered.await.is_err());
}

// ----- what reaches stderr (child process) -----

fn run_child(mode: &str) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_goscope-panic-child"))
        .arg(mode)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{mode}: {stdout}\n{stderr}");
    (stdout, stderr)
}

#[test]
fn detached_panic_goes_to_stderr_once_and_to_the_hook() {
    let (stdout, stderr) = run_child("detached");
    assert_eq!(stderr.matches("detached-boom").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("panicked at").count(), 1, "{stderr}");
    assert!(stderr.contains("panic_child.rs"), "{stderr}");
    let hook = stdout
        .lines()
        .find_map(|l| l.strip_prefix("hook="))
        .unwrap();
    assert!(hook.starts_with("Some(\"detached-boom\")|Some("), "{hook}");
}

#[test]
fn a_user_hook_set_before_goscope_keeps_working() {
    let (stdout, stderr) = run_child("user-hook-before");
    assert_eq!(
        stderr.matches("USER HOOK: before-boom").count(),
        1,
        "{stderr}"
    );
    // The user's hook replaced std's: std's message is not printed.
    assert_eq!(stderr.matches("panicked at").count(), 0, "{stderr}");
    assert!(stdout.contains("location=true"), "{stdout}");
}

#[test]
fn a_user_hook_chained_after_goscope_keeps_locations() {
    let (stdout, stderr) = run_child("user-hook-after-chained");
    assert_eq!(
        stderr.matches("USER HOOK: after-boom").count(),
        1,
        "{stderr}"
    );
    assert_eq!(stderr.matches("panicked at").count(), 1, "{stderr}");
    assert!(stdout.contains("location=true"), "{stdout}");
}
