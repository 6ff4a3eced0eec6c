//! Task names in tracing (SPEC: "both show in `PanicError` and in tracing"): each task
//! runs in a `goscope.task` span carrying its name and spawn location, and a captured
//! panic is an error event naming the task. Its own test binary: tracing caches callsite
//! interest process-wide.

use goscope_tests::trace::{field, recorded};

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
    let message = panics[0].field("message").unwrap();
    assert!(
        message.contains("task `traced.boom` panicked at"),
        "{message}"
    );
    assert!(message.contains("traced panic"), "{message}");
}
