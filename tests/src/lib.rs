//! Helpers shared by goscope's behaviour tests.
#![warn(missing_docs)]

/// A process-wide [`goscope::set_panic_hook`] observer for tests that run in parallel in
/// one process: it records every captured panic, and tests look up their own by task
/// name (so each test names its tasks uniquely).
pub mod hook {
    use std::sync::{Mutex, Once};

    use tokio::sync::Notify;

    /// What the observer saw of one captured panic.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Seen {
        /// `PanicError::task_name()`.
        pub task: Option<String>,
        /// `PanicError::message()`.
        pub message: Option<String>,
        /// `PanicError::location()`, as `file:line:col`.
        pub location: Option<String>,
    }

    /// A task with this name makes the observer itself panic.
    pub const PANICKING_HOOK_TASK: &str = "tests.hook-panics";

    static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());
    static NEW: Notify = Notify::const_new();
    static INSTALL: Once = Once::new();

    /// Installs the recording observer (once per process).
    pub fn install() {
        INSTALL.call_once(|| {
            goscope::set_panic_hook(|p| {
                if p.task_name() == Some(PANICKING_HOOK_TASK) {
                    panic!("the observer itself panics");
                }
                SEEN.lock().unwrap().push(Seen {
                    task: p.task_name().map(str::to_owned),
                    message: p.message().map(str::to_owned),
                    location: p.location().map(ToString::to_string),
                });
                NEW.notify_waiters();
            });
        });
    }

    /// Every panic seen so far for tasks named `task`.
    pub fn seen(task: &str) -> Vec<Seen> {
        let seen = SEEN.lock().unwrap();
        seen.iter()
            .filter(|s| s.task.as_deref() == Some(task))
            .cloned()
            .collect()
    }

    /// How many panics with exactly this message the observer has seen (for panics of
    /// unnamed tasks and scope children).
    pub fn seen_message(message: &str) -> usize {
        let seen = SEEN.lock().unwrap();
        seen.iter()
            .filter(|s| s.message.as_deref() == Some(message))
            .count()
    }

    /// Waits until the observer has seen a panic of a task named `task`.
    pub async fn wait_for(task: &str) -> Seen {
        loop {
            let notified = NEW.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(s) = seen(task).pop() {
                return s;
            }
            notified.await;
        }
    }
}

/// Counts drops: hand a [`guard`](Drops::guard) to each future, read the
/// [`count`](Drops::count) after.
#[derive(Clone, Default, Debug)]
pub struct Drops(std::sync::Arc<std::sync::atomic::AtomicUsize>);

/// Adds one to its [`Drops`] when dropped.
#[derive(Debug)]
pub struct DropGuard(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drops {
    /// A guard that counts its own drop.
    pub fn guard(&self) -> DropGuard {
        DropGuard(self.0.clone())
    }

    /// The drops so far.
    pub fn count(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Sends `()` on drop: proves a future was dropped (cancelled).
#[derive(Debug)]
pub struct DropSignal(pub Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

/// Polls futures by hand with a waker that counts its wake-ups.
#[derive(Debug, Default)]
pub struct Probe(std::sync::Arc<ProbeWakes>);

/// The wake-up count behind a [`Probe`].
#[derive(Debug, Default)]
pub struct ProbeWakes(std::sync::atomic::AtomicUsize);

impl std::task::Wake for ProbeWakes {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Probe {
    /// A probe that has seen no wake-up.
    pub fn new() -> Self {
        Probe::default()
    }

    /// Polls `fut` once with this probe's waker.
    pub fn poll<F: std::future::Future + Unpin>(&self, fut: &mut F) -> std::task::Poll<F::Output> {
        let waker = std::task::Waker::from(self.0.clone());
        std::pin::Pin::new(fut).poll(&mut std::task::Context::from_waker(&waker))
    }

    /// How many times the waker was woken.
    pub fn wakes(&self) -> usize {
        self.0.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A rendezvous channel to keep both ends of and use only one: a case on it is never
/// ready (and it never closes).
pub fn idle<T>() -> (goscope::chan::Sender<T>, goscope::chan::Receiver<T>) {
    goscope::chan::bounded(0)
}

/// A global allocator that counts each thread's allocations, for tests that assert an
/// operation allocates nothing (or once). A test binary installs it with
/// `#[global_allocator] static GLOBAL: goscope_tests::Counting = goscope_tests::Counting;`
/// and measures with [`allocations`]; counting per thread keeps the runtime's other
/// threads out of the figure.
#[derive(Debug)]
pub struct Counting;

std::thread_local! {
    static ALLOCATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    static LIVE_BYTES: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; it only counts.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        let _ = LIVE_BYTES.try_with(|n| n.set(n.get() + layout.size() as i64));
        // SAFETY: the caller's contract is passed on as it is.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        let _ = LIVE_BYTES.try_with(|n| n.set(n.get() - layout.size() as i64));
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

/// Runs `f`; its output and how many allocations this thread made meanwhile (counted only
/// where [`Counting`] is the global allocator).
pub fn allocations<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = ALLOCATIONS.with(std::cell::Cell::get);
    let out = f();
    (out, ALLOCATIONS.with(std::cell::Cell::get) - before)
}

/// Bytes allocated and not yet freed by this thread (where [`Counting`] is the global
/// allocator): a figure that falls when this thread frees memory another allocated, so
/// measure a structure used from one thread.
pub fn live_bytes() -> i64 {
    LIVE_BYTES.with(std::cell::Cell::get)
}

/// A [`tracing`] subscriber that records the spans and events it sees, for tests to
/// assert on. Set it as the thread's default on a current-thread runtime (spawning and
/// polling then happen on that thread, under it). Tracing caches each callsite's
/// interest process-wide: a test binary that records does it in every test, from the
/// start, and in its own binary.
pub mod trace {
    use std::fmt;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Level, Metadata, Subscriber};

    /// A span's or an event's fields, as (name, value) text.
    pub type FieldList = Vec<(String, String)>;

    /// One event the recorder saw.
    #[derive(Debug, Clone)]
    pub struct SeenEvent {
        /// Its level.
        pub level: Level,
        /// Its target.
        pub target: String,
        /// Its fields (the message is the field `message`).
        pub fields: FieldList,
    }

    impl SeenEvent {
        /// The text of its field `name`, if it has one.
        pub fn field(&self, name: &str) -> Option<&str> {
            field(&self.fields, name)
        }
    }

    /// What the recorder saw: spans as (name, fields), and events.
    #[derive(Debug, Default)]
    pub struct Seen {
        spans: Mutex<Vec<(&'static str, FieldList)>>,
        /// Each span's explicit parent, as an index into `spans`.
        parents: Mutex<Vec<Option<usize>>>,
        events: Mutex<Vec<SeenEvent>>,
        next_id: AtomicU64,
    }

    impl Seen {
        /// Every span so far, in order, as (name, fields).
        pub fn spans(&self) -> Vec<(&'static str, FieldList)> {
            self.spans.lock().unwrap().clone()
        }

        /// The explicit parent of each span of [`spans`](Self::spans), as an index into it.
        pub fn parents(&self) -> Vec<Option<usize>> {
            self.parents.lock().unwrap().clone()
        }

        /// Every event so far, in order.
        pub fn events(&self) -> Vec<SeenEvent> {
            self.events.lock().unwrap().clone()
        }
    }

    /// The subscriber: records into its [`Seen`].
    #[derive(Debug)]
    pub struct Recorder(pub Arc<Seen>);

    /// Runs `f` with a new [`Recorder`] as this thread's default; its output and what
    /// the recorder saw.
    pub fn recorded<R>(f: impl FnOnce() -> R) -> (R, Arc<Seen>) {
        let seen = Arc::new(Seen::default());
        let out = tracing::subscriber::with_default(Recorder(Arc::clone(&seen)), f);
        (out, seen)
    }

    /// The text of the field `name` in `fields`, if it is there.
    pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

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
            let parent = attrs.parent().map(|id| id.into_u64() as usize - 1);
            self.0.parents.lock().unwrap().push(parent);
            Id::from_u64(self.0.next_id.fetch_add(1, Ordering::Relaxed) + 1)
        }

        fn record(&self, _: &Id, _: &Record<'_>) {}

        fn record_follows_from(&self, _: &Id, _: &Id) {}

        fn event(&self, event: &Event<'_>) {
            let mut fields = Fields(Vec::new());
            event.record(&mut fields);
            let metadata = event.metadata();
            self.0.events.lock().unwrap().push(SeenEvent {
                level: *metadata.level(),
                target: metadata.target().to_owned(),
                fields: fields.0,
            });
        }

        fn enter(&self, _: &Id) {}

        fn exit(&self, _: &Id) {}
    }
}

/// Small helpers of the manager tests (`manager.rs`, `manager_builtin.rs`).
pub mod manager {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use goscope::CancellationToken;
    use goscope::manager::{Failure, ManagerError};

    /// A log of events, in the order they happened.
    pub type Log = Arc<Mutex<Vec<String>>>;

    /// Appends `event` to `log`.
    pub fn note(log: &Log, event: impl Into<String>) {
        log.lock().unwrap().push(event.into());
    }

    /// The events so far.
    pub fn events(log: &Log) -> Vec<String> {
        log.lock().unwrap().clone()
    }

    /// `n` milliseconds.
    pub fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Cancels `token` after `after`.
    pub fn cancel_after(token: CancellationToken, after: Duration) -> goscope::Task<()> {
        goscope::go(async move {
            tokio::time::sleep(after).await;
            token.cancel();
        })
    }

    /// The one failure of `error` (asserts there is no later one).
    pub fn only(error: &ManagerError) -> &Failure {
        assert!(error.later.is_empty(), "{error}");
        error.first.as_ref().expect("a first failure")
    }
}
