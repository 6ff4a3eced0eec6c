//! Task names in tracing (SPEC: "both show in `PanicError` and in tracing"): each task
//! runs in a `goscope.task` span carrying its name and spawn location, and a captured
//! panic is an error event naming the task. Its own test binary: tracing caches callsite
//! interest process-wide.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A span's or an event's fields, as (name, value) text.
type FieldList = Vec<(String, String)>;

/// What the subscriber saw: spans as (name, fields), events as their fields.
#[derive(Default)]
struct Seen {
    spans: Mutex<Vec<(&'static str, FieldList)>>,
    events: Mutex<Vec<FieldList>>,
    next_id: AtomicU64,
}

struct Recorder(Arc<Seen>);

struct Fields(FieldList);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut fields = Fields(Vec::new());
        attrs.record(&mut fields);
        let name = attrs.metadata().name();
        self.0.spans.lock().unwrap().push((name, fields.0));
        Id::from_u64(self.0.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(Vec::new());
        event.record(&mut fields);
        self.0.events.lock().unwrap().push(fields.0);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

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
    let seen = Arc::new(Seen::default());
    tracing::subscriber::with_default(Recorder(seen.clone()), || {
        // current_thread: spawning and polling happen on this thread, under the default.
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            assert_eq!(job().await.unwrap(), 7);
            assert!(boom().await.unwrap_err().is_panic());
        });
    });

    let spans = seen.spans.lock().unwrap();
    let task_spans: Vec<_> = spans.iter().filter(|(n, _)| *n == "goscope.task").collect();
    let names: Vec<_> = task_spans.iter().map(|(_, f)| field(f, "name")).collect();
    assert_eq!(names, [Some("traced.job"), Some("traced.boom")]);
    for (_, fields) in &task_spans {
        assert!(field(fields, "spawned_at").unwrap().contains("tracing.rs"));
    }

    let events = seen.events.lock().unwrap();
    let panics: Vec<_> = events
        .iter()
        .filter(|f| field(f, "task") == Some("traced.boom"))
        .collect();
    assert_eq!(panics.len(), 1, "{events:?}");
    let message = field(panics[0], "message").unwrap();
    assert!(
        message.contains("task `traced.boom` panicked at"),
        "{message}"
    );
    assert!(message.contains("traced panic"), "{message}");
}
