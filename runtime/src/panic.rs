//! [`PanicError`], the process panic hook that records where panics happen, and the
//! goscope observer hook ([`set_panic_hook`]).
//!
//! # Design
//!
//! `catch_unwind` hands back only the payload; the location of a panic is known only to
//! the process panic hook (`std::panic::set_hook`), which runs on the panicking thread
//! before unwinding starts. So goscope installs, once, at the first task it starts, a
//! hook that
//!
//! 1. copies `PanicHookInfo::location()` into a thread-local slot, then
//! 2. calls the hook that was installed before it (the user's, or std's default, which
//!    prints the usual `thread '…' panicked at …` message — exactly once).
//!
//! The code that catches the panic (a task's poll, a blocking closure) runs on the same
//! thread right after the unwind, and takes the location from the slot. Invariants:
//!
//! - The previous hook is always called, so a user's `set_hook` installed *before*
//!   goscope starts its first task keeps working, and std's message is printed once.
//!   A hook installed *after* replaces goscope's (std has a single hook): chain to
//!   `std::panic::take_hook()` to keep locations, otherwise [`PanicError::location`]
//!   is `None`.
//! - The slot is per thread and is taken (emptied) by the catch, so a location never
//!   leaks from one panic to another thread's panic. A payload re-thrown with
//!   `resume_unwind` skips the hook and keeps the location of the last hooked panic on
//!   that thread, which is the original panic in the usual catch-and-rethrow pattern.

use std::any::Any;
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::panic::{AssertUnwindSafe, Location};
use std::sync::{Arc, Once, RwLock};

pub(crate) mod catch;
mod payload;

pub use payload::PanicPayload;

/// Where a panic happened: file, line and column, as `file:line:column`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let err = goscope::go(async { panic!("boom") }).await.unwrap_err();
/// let p = err.into_panic().unwrap();
/// let loc = p.location().unwrap();
/// assert!(loc.file().ends_with(".rs"));
/// assert!(loc.to_string().starts_with(loc.file()));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PanicLocation {
    file: Box<str>,
    line: u32,
    column: u32,
}

impl PanicLocation {
    fn from_std(loc: &Location<'_>) -> Self {
        PanicLocation {
            file: loc.file().into(),
            line: loc.line(),
            column: loc.column(),
        }
    }

    /// The source file, as `file!()` would print it.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line, starting at 1.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The column, starting at 1.
    pub fn column(&self) -> u32 {
        self.column
    }
}

impl fmt::Display for PanicLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A panic captured by goscope: its payload, message, location and the task it happened in.
///
/// It is `Send + Sync + 'static` and a [`std::error::Error`], so `?` turns it (or the
/// [`Error`](crate::Error) that holds it) into `anyhow::Error`, `eyre::Report` or
/// `Box<dyn std::error::Error + Send + Sync>`; the payload stays the original one
/// ([`into_panic`](Self::into_panic)).
///
/// Awaiting a task that panicked gives `Err(Error::Panicked(panic_error))`; nothing is
/// printed twice and nothing is lost. To re-raise the panic in the current thread, use
/// [`std::panic::resume_unwind`] with [`PanicError::into_panic`].
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// #[goscope::go(name = "billing.charge")]
/// async fn charge(cents: u64) -> u64 {
///     if cents == 0 {
///         panic!("nothing to charge");
///     }
///     cents
/// }
///
/// let p = charge(0).await.unwrap_err().into_panic().unwrap();
/// assert_eq!(p.message(), Some("nothing to charge"));
/// assert_eq!(p.task_name(), Some("billing.charge"));
/// assert!(p.to_string().starts_with("task `billing.charge` panicked at "));
/// # }
/// ```
pub struct PanicError {
    // Boxed: `Result<T, Error>` is what every task stores, so `Error` stays small.
    inner: Box<Captured>,
}

struct Captured {
    payload: PanicPayload,
    location: Option<PanicLocation>,
    task_name: Option<Cow<'static, str>>,
    spawned_at: Option<&'static Location<'static>>,
    /// The ERROR report owed if nobody receives this panic; `None` once it was delivered
    /// (or moved beside a converted error), and for a `PanicError` built by hand.
    unreceived: Unreceived,
}

impl PanicError {
    /// Wraps a payload caught with [`std::panic::catch_unwind`], taking the location of
    /// the panic from goscope's panic hook when it saw that panic on this thread.
    ///
    /// Call it on the thread that caught the panic, right after the catch.
    ///
    /// ```
    /// let payload = std::panic::catch_unwind(|| panic!("oops")).unwrap_err();
    /// let p = goscope::PanicError::from_panic(payload);
    /// assert_eq!(p.message(), Some("oops"));
    /// assert_eq!(p.task_name(), None);
    /// ```
    pub fn from_panic(payload: Box<dyn Any + Send + 'static>) -> Self {
        PanicError {
            inner: Box::new(Captured {
                payload: PanicPayload::new(payload),
                location: take_location(),
                task_name: None,
                spawned_at: None,
                unreceived: Unreceived::NONE,
            }),
        }
    }

    pub(crate) fn with_task(
        mut self,
        name: Option<Cow<'static, str>>,
        spawned_at: &'static Location<'static>,
    ) -> Self {
        self.inner.task_name = name;
        self.inner.spawned_at = Some(spawned_at);
        self
    }

    /// The panic message, when the payload is a string (`panic!("…")` with or without
    /// format arguments); `None` for other payloads (`std::panic::panic_any(42)`).
    pub fn message(&self) -> Option<&str> {
        let payload = &self.inner.payload;
        if let Some(s) = payload.downcast_ref::<&'static str>() {
            Some(s)
        } else if let Some(s) = payload.downcast_ref::<String>() {
            Some(s)
        } else {
            None
        }
    }

    /// Where the panic happened (not where the task was started: see [`spawned_at`]).
    ///
    /// `None` when goscope's panic hook did not see the panic: a `std::panic::set_hook`
    /// installed after goscope's that does not chain to the previous hook, or a payload
    /// built by hand.
    ///
    /// [`spawned_at`]: PanicError::spawned_at
    pub fn location(&self) -> Option<&PanicLocation> {
        self.inner.location.as_ref()
    }

    /// The name of the task that panicked: the function's path for `#[go]`, or the name
    /// given with `#[go(name = "…")]`; `None` for unnamed tasks.
    pub fn task_name(&self) -> Option<&str> {
        self.inner.task_name.as_deref()
    }

    /// Where the task that panicked was started (the caller of `go` or of the `#[go]` fn).
    pub fn spawned_at(&self) -> Option<&'static Location<'static>> {
        self.inner.spawned_at
    }

    /// The panic payload, to inspect: [`PanicPayload::is`] tests its type,
    /// [`PanicPayload::downcast_ref`] reads it as a `Sync` type.
    ///
    /// ```
    /// let caught = std::panic::catch_unwind(|| std::panic::panic_any(7_u8)).unwrap_err();
    /// let p = goscope::PanicError::from_panic(caught);
    /// assert_eq!(p.payload().downcast_ref::<u8>(), Some(&7));
    /// ```
    pub fn payload(&self) -> &PanicPayload {
        &self.inner.payload
    }

    /// The panic payload, mutably: [`PanicPayload::downcast_mut`] reads it as any type.
    pub fn payload_mut(&mut self) -> &mut PanicPayload {
        &mut self.inner.payload
    }

    /// Marks the panic delivered: it reached the user as a value (the DEBUG event).
    pub(crate) fn received(mut self) -> Self {
        self.inner.unreceived.take().received();
        self
    }

    /// Takes the report owed if nobody receives the panic, to keep it beside the error
    /// the panic is converted into (a scope's `E`).
    pub(crate) fn take_unreceived(&mut self) -> Unreceived {
        self.inner.unreceived.take()
    }

    /// The panic payload, to re-raise with [`std::panic::resume_unwind`].
    ///
    /// ```should_panic
    /// let payload = std::panic::catch_unwind(|| panic!("again")).unwrap_err();
    /// let p = goscope::PanicError::from_panic(payload);
    /// std::panic::resume_unwind(p.into_panic());
    /// ```
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.inner.payload.into_inner()
    }
}

impl fmt::Display for PanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.task_name {
            Some(name) => write!(f, "task `{name}` panicked")?,
            None => f.write_str("a task panicked")?,
        }
        if let Some(loc) = &self.inner.location {
            write!(f, " at {loc}")?;
        }
        match self.message() {
            Some(msg) => write!(f, ": {msg}"),
            None => f.write_str(" with a non-string payload"),
        }
    }
}

impl fmt::Debug for PanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PanicError")
            .field("message", &self.message())
            .field("location", &self.inner.location)
            .field("task_name", &self.inner.task_name)
            .field("spawned_at", &self.inner.spawned_at)
            .finish_non_exhaustive()
    }
}

impl std::error::Error for PanicError {}

// ===== the process hook =====

thread_local! {
    /// Location of the last panic on this thread, written by the process hook.
    static LAST_LOCATION: Cell<Option<PanicLocation>> = const { Cell::new(None) };
}

static INSTALL: Once = Once::new();

/// Installs the process panic hook once, chaining to the hook that was there before.
pub(crate) fn install_process_hook() {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Some(loc) = info.location() {
                // `try_with`: the thread may be tearing down its locals.
                let _ = LAST_LOCATION.try_with(|slot| slot.set(Some(PanicLocation::from_std(loc))));
            }
            previous(info);
        }));
    });
}

fn take_location() -> Option<PanicLocation> {
    LAST_LOCATION.try_with(Cell::take).ok().flatten()
}

// ===== the goscope observer hook =====

type Observer = Arc<dyn Fn(&PanicError) + Send + Sync + 'static>;

static OBSERVER: RwLock<Option<Observer>> = RwLock::new(None);

/// Installs an observer that sees every panic goscope captures, awaited or not.
///
/// It runs on the thread that caught the panic, right after the catch, for tasks
/// started with [`go`](fn@crate::go), [`go_blocking`](crate::go_blocking), `#[go]`,
/// [`go_ctx`](crate::go_ctx) and [`go_with_recover`](crate::go_with_recover). It runs
/// *in addition* to the usual reporting (std's panic message on stderr; a `tracing`
/// event at DEBUG when the panic is delivered as a value, at ERROR when nobody receives
/// it), not instead of it. A panic inside the observer is caught and
/// swallowed, so an observability sink cannot take down the task it observes.
///
/// Replaces any observer installed before; [`clear_panic_hook`] removes it.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// static PANICS: AtomicUsize = AtomicUsize::new(0);
///
/// goscope::set_panic_hook(|p| {
///     PANICS.fetch_add(1, Ordering::Relaxed);
///     eprintln!("captured: {p}");
/// });
/// # goscope::clear_panic_hook();
/// ```
pub fn set_panic_hook<F>(hook: F)
where
    F: Fn(&PanicError) + Send + Sync + 'static,
{
    *OBSERVER.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(hook));
}

/// Removes the observer installed by [`set_panic_hook`].
///
/// ```
/// goscope::set_panic_hook(|_| {});
/// goscope::clear_panic_hook();
/// ```
pub fn clear_panic_hook() {
    *OBSERVER.write().unwrap_or_else(|e| e.into_inner()) = None;
}

/// Shows a captured panic to the observer hook.
pub(crate) fn observe(panic: &PanicError) {
    let observer = OBSERVER
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .map(Arc::clone);
    if let Some(observer) = observer {
        // A panic in the observer is swallowed: std's hook has already reported it.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| observer(panic)));
    }
}

/// Builds the `PanicError` for a payload caught on this thread in task `name`, shows it
/// to the observer hook, and arms its report: ERROR if nobody receives it, DEBUG when it
/// is delivered ([`PanicError::received`]).
fn capture(
    payload: Box<dyn Any + Send + 'static>,
    name: Option<Cow<'static, str>>,
    spawned_at: &'static Location<'static>,
) -> PanicError {
    let mut panic = PanicError::from_panic(payload).with_task(name, spawned_at);
    observe(&panic);
    panic.inner.unreceived = Unreceived::of(&panic);
    panic
}

// ===== the report, by the panic's fate =====

/// The tracing report a captured panic is owed, until its fate is known.
///
/// A panic delivered as a value — a `Task` awaited, a scope's error returned, a
/// `settle` slot — is the caller's to handle: it is logged once, at DEBUG, when it is
/// delivered ([`Unreceived::received`]). A panic nobody receives — a detached task, a
/// `Task` dropped unawaited with its panic inside, a scope child's panic after the scope's
/// first failure that no handle took — would otherwise be lost: when the value that holds
/// it is dropped undelivered, this guard's `Drop` logs it at ERROR. Each panic is told
/// once (std's own hook prints it to stderr as well, as for any panic).
///
/// The guard travels inside the [`PanicError`]; where the panic is converted into a type
/// goscope cannot see into (a scope's `E`), it is taken out and kept beside the error.
pub(crate) struct Unreceived(Option<Box<Report>>);

struct Report {
    text: String,
    task: Option<String>,
    location: Option<String>,
    spawned_at: Option<String>,
}

impl Unreceived {
    /// No report owed.
    pub(crate) const NONE: Unreceived = Unreceived(None);

    /// The report `panic` is owed.
    pub(crate) fn of(panic: &PanicError) -> Self {
        Unreceived(Some(Box::new(Report {
            text: panic.to_string(),
            task: panic.task_name().map(str::to_owned),
            location: panic.location().map(ToString::to_string),
            spawned_at: panic.spawned_at().map(ToString::to_string),
        })))
    }

    fn take(&mut self) -> Self {
        Unreceived(self.0.take())
    }

    /// The panic was delivered as a value: a DEBUG event, and nothing owed.
    pub(crate) fn received(mut self) {
        if let Some(report) = self.0.take() {
            report.tell(true);
        }
    }
}

impl Drop for Unreceived {
    fn drop(&mut self) {
        if let Some(report) = self.0.take() {
            report.tell(false);
        }
    }
}

impl Report {
    /// The one tracing event of a panic: DEBUG once delivered, ERROR if nobody received it.
    fn tell(&self, received: bool) {
        // `tracing` takes its level as a constant: one event site per level.
        macro_rules! event {
            ($level:expr, $suffix:literal) => {
                tracing::event!(
                    target: "goscope",
                    $level,
                    task = self.task,
                    location = self.location,
                    spawned_at = self.spawned_at,
                    received,
                    concat!("{}", $suffix),
                    self.text
                )
            };
        }
        if received {
            event!(tracing::Level::DEBUG, "");
        } else {
            event!(tracing::Level::ERROR, " (nobody received this panic)");
        }
    }
}
