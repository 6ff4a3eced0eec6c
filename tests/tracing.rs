//! Tracing: each task runs in a `goscope.task` span carrying its name and spawn location;
//! each scope child in a `goscope.child` span under its scope's `goscope.scope`; and each
//! captured panic is told once, at the level its fate deserves — DEBUG when it is
//! delivered as a value, ERROR when nobody receives it. Its own test binary: tracing
//! caches callsite interest process-wide.

use goscope_tests::trace::{Seen, SeenEvent, field, recorded};
use tracing::Level;

#[goscope::go(name = "traced.job")]
async fn job() -> u8 {
    7
}

#[goscope::go(name = "traced.boom")]
async fn boom() {
    panic!("traced panic")
}

#[test]
fn task_names_show_in_tracing() {
    let ((), seen) = recorded(|| {
        // current_thread: spawning and polling happen on this thread, under the default.
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            assert_eq!(job().await.unwrap(), 7);
            assert!(boom().await.unwrap_err().is_panic());
        });
    });

    let spans = seen.spans();
    let task_spans: Vec<_> = spans.iter().filter(|(n, _)| *n == "goscope.task").collect();
    let names: Vec<_> = task_spans.iter().map(|(_, f)| field(f, "name")).collect();
    assert_eq!(names, [Some("traced.job"), Some("traced.boom")]);
    for (_, fields) in &task_spans {
        assert!(field(fields, "spawned_at").unwrap().contains("tracing.rs"));
    }

    let events = seen.events();
    let panics: Vec<_> = events
        .iter()
        .filter(|e| e.field("task") == Some("traced.boom"))
        .collect();
    assert_eq!(panics.len(), 1, "{events:?}");
    assert_eq!(
        panics[0].level,
        Level::DEBUG,
        "an awaited panic is delivered, not lost"
    );
    let message = panics[0].field("message").unwrap();
    assert!(
        message.contains("task `traced.boom` panicked at"),
        "{message}"
    );
    assert!(message.contains("traced panic"), "{message}");
}

/// Runs `body` on a current-thread runtime (everything on this thread, under the
/// recorder) and returns what the recorder saw.
fn traced<F: std::future::Future<Output = ()>>(body: impl FnOnce() -> F) -> std::sync::Arc<Seen> {
    let ((), seen) = recorded(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(body());
        drop(rt);
    });
    seen
}

/// goscope's panic events whose message contains `text`, as (level, received).
fn panic_events(seen: &Seen, text: &str) -> Vec<(Level, String)> {
    seen.events()
        .iter()
        .filter(|e: &&SeenEvent| {
            e.target == "goscope" && e.field("message").is_some_and(|m| m.contains(text))
        })
        .map(|e| (e.level, e.field("received").unwrap_or("-").to_owned()))
        .collect()
}

async fn finished<T>(task: &goscope::Task<T>) {
    while !task.is_finished() {
        tokio::task::yield_now().await;
    }
}

#[test]
fn a_delivered_panic_is_told_once_at_debug() {
    let seen = traced(|| async {
        let err = goscope::go(async { panic!("handled panic") })
            .await
            .unwrap_err();
        assert!(err.is_panic());
        drop(err); // handled by the caller: dropping it is not losing it
    });
    assert_eq!(
        panic_events(&seen, "handled panic"),
        [(Level::DEBUG, "true".to_owned())]
    );
}

#[test]
fn a_detached_tasks_panic_is_told_once_at_error() {
    let seen = traced(|| async {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        goscope::go(async move {
            let _tx = tx; // dropped while unwinding: the test learns the task is done
            panic!("detached panic")
        })
        .detach();
        let _ = rx.await;
        tokio::task::yield_now().await;
    });
    let events = panic_events(&seen, "detached panic");
    assert_eq!(events, [(Level::ERROR, "false".to_owned())]);
    let error = seen
        .events()
        .into_iter()
        .find(|e| e.level == Level::ERROR)
        .unwrap();
    assert!(
        error
            .field("message")
            .unwrap()
            .contains("nobody received this panic")
    );
    assert!(error.field("spawned_at").unwrap().contains("tracing.rs"));
}

#[test]
fn a_task_dropped_unawaited_with_its_panic_is_told_at_error() {
    let seen = traced(|| async {
        let task = goscope::go(async { panic!("unawaited panic") });
        finished(&task).await;
        drop(task);
    });
    assert_eq!(
        panic_events(&seen, "unawaited panic"),
        [(Level::ERROR, "false".to_owned())]
    );
}

#[test]
fn a_scopes_primary_panic_is_delivered_and_a_later_one_is_lost_at_error() {
    let seen = traced(|| async {
        let out: Result<(), goscope::Error> = goscope::scope!(|s| {
            let token = s.token();
            let (started, running) = tokio::sync::oneshot::channel::<()>();
            s.spawn_local(async {
                let _ = running.await; // fail once the blocking child runs
                panic!("first failure") as Result<(), goscope::Error>
            });
            // Blocking children see only the token: this one panics after the failure.
            s.spawn_blocking(move || {
                let _ = started.send(());
                while !token.is_cancelled() {
                    std::thread::yield_now();
                }
                panic!("after the failure") as Result<(), goscope::Error>
            });
            std::future::pending::<()>().await;
            Ok(())
        });
        let message = out
            .unwrap_err()
            .into_panic()
            .unwrap()
            .message()
            .map(str::to_owned);
        assert_eq!(message.as_deref(), Some("first failure"));
    });
    assert_eq!(
        panic_events(&seen, "first failure"),
        [(Level::DEBUG, "true".to_owned())]
    );
    assert_eq!(
        panic_events(&seen, "after the failure"),
        [(Level::ERROR, "false".to_owned())]
    );
}

#[test]
fn a_supervised_childs_panic_is_delivered_through_its_handle_or_lost() {
    let seen = traced(|| async {
        let out: Result<(), goscope::Error> = goscope::scope!(supervise, |s| {
            let read =
                s.spawn_local(async { panic!("read by its handle") as Result<(), goscope::Error> });
            drop(s.spawn_local(async { panic!("handle dropped") as Result<(), goscope::Error> }));
            assert!(read.await.unwrap_err().is_panic());
            Ok(())
        });
        out.unwrap();
    });
    assert_eq!(
        panic_events(&seen, "read by its handle"),
        [(Level::DEBUG, "true".to_owned())]
    );
    assert_eq!(
        panic_events(&seen, "handle dropped"),
        [(Level::ERROR, "false".to_owned())]
    );
}

#[test]
fn scope_children_run_in_child_spans_under_the_scopes_span() {
    let seen = traced(|| async {
        let out: Result<(u8, u8), goscope::Error> = goscope::scope!(|s| {
            let local = s.spawn_local(async { Ok(1) });
            let parallel = s.spawn(async { Ok(2) });
            let named = s.spawn_named("traced.child", async { Ok(3) });
            Ok((local.await?, parallel.await? + named.await?))
        });
        assert_eq!(out.unwrap(), (1, 5));
    });
    let (spans, parents) = (seen.spans(), seen.parents());
    let scopes: Vec<usize> = (0..spans.len())
        .filter(|&i| spans[i].0 == "goscope.scope")
        .collect();
    assert_eq!(scopes.len(), 1, "{spans:?}");
    assert!(
        field(&spans[scopes[0]].1, "at")
            .unwrap()
            .contains("tracing.rs")
    );
    let children: Vec<usize> = (0..spans.len())
        .filter(|&i| spans[i].0 == "goscope.child")
        .collect();
    assert_eq!(children.len(), 3, "{spans:?}");
    let names: Vec<Option<&str>> = children
        .iter()
        .map(|&i| field(&spans[i].1, "name"))
        .collect();
    assert_eq!(
        names,
        [None, None, Some("traced.child")],
        "a name is given by spawn_named"
    );
    let lines: Vec<&str> = children
        .iter()
        .map(|&i| field(&spans[i].1, "spawned_at").unwrap())
        .collect();
    for (&child, at) in children.iter().zip(&lines) {
        assert_eq!(
            parents[child],
            Some(scopes[0]),
            "a child's span is under its scope's"
        );
        assert!(at.contains("tracing.rs"), "{at}");
    }
    assert!(
        lines[0] != lines[1] && lines[1] != lines[2],
        "each child carries its own spawn line: {lines:?}"
    );
}
