//! Starting a task: [`go`](fn@go), [`go_blocking`], [`go_ctx`], [`go_with_recover`], and
//! the `Capture` wrapper every task's future runs in (see the parent module's design
//! notes).

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use super::{IN_TASK, Task};
use crate::panic::catch::{self, CatchUnwind, Origin};
use crate::{Error, PanicError, panic};

/// A task's name, as a thin pointer: `&"literal"` is promoted to `'static`.
pub(crate) type Name = Option<&'static &'static str>;

/// Who a task is: its name and where it was started.
#[derive(Clone, Copy)]
pub(crate) struct Meta {
    pub(crate) name: Name,
    pub(crate) spawned_at: &'static Location<'static>,
}

impl Meta {
    /// The identity of a task about to start, spawned by the caller of the (track_caller)
    /// spawning function; checks for a runtime and installs the panic hook first.
    #[track_caller]
    fn start(name: Name) -> Self {
        assert_runtime();
        panic::install_process_hook();
        Meta {
            name,
            spawned_at: Location::caller(),
        }
    }

    /// The task's `goscope.task` span, or `None` when no subscriber wants it.
    fn span(&self) -> Option<tracing::Span> {
        let span = tracing::debug_span!(
            target: "goscope",
            "goscope.task",
            name = self.name.copied(),
            spawned_at = %self.spawned_at,
        );
        (!span.is_disabled()).then_some(span)
    }
}

impl Origin for Meta {
    fn name(&self) -> Option<std::borrow::Cow<'static, str>> {
        self.name.map(|n| (*n).into())
    }

    fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }
}

pin_project_lite::pin_project! {
    /// The future a goscope task runs: the user's future, its panics captured, polled
    /// with the thread marked as inside a goscope task.
    struct Capture<F> {
        #[pin]
        fut: CatchUnwind<F, Meta>,
    }
}

impl<T, F: Future<Output = Result<T, Error>>> Future for Capture<F> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let was_in_task = IN_TASK.replace(true);
        let polled = this.fut.poll(cx);
        IN_TASK.set(was_in_task);
        polled.map(|caught| caught.unwrap_or_else(|panic| Err(Error::Panicked(panic))))
    }
}

pin_project_lite::pin_project! {
    /// Maps a future's output `T` to `Ok(T)`.
    struct Infallible<F> {
        #[pin]
        fut: F,
    }
}

impl<F: Future> Future for Infallible<F> {
    type Output = Result<F::Output, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().fut.poll(cx).map(Ok)
    }
}

const NO_RUNTIME: &str = "goscope needs a Tokio runtime to start a task, and none is running \
     on this thread: run your async code under `#[tokio::main]` (or `#[tokio::test]`), or inside \
     `Runtime::block_on` / after `Runtime::enter()`";

/// Panics with [`NO_RUNTIME`] unless this thread can spawn on a Tokio runtime.
///
/// Inside a Tokio task (the common case) a runtime is there by construction, and the
/// check costs one thread-local read; elsewhere it takes `Handle::try_current`, which
/// clones the runtime's `Arc` (a shared cache line we keep off the hot path).
#[track_caller]
fn assert_runtime() {
    if tokio::task::try_id().is_none() && Handle::try_current().is_err() {
        panic!("{NO_RUNTIME}");
    }
}

/// Starts `fut`, which reports its own `Error`s, as a goscope task.
#[track_caller]
pub(crate) fn spawn_with<T, F>(name: Name, fut: F) -> Task<T>
where
    F: Future<Output = Result<T, Error>> + Send + 'static,
    T: Send + 'static,
{
    let meta = Meta::start(name);
    let task = Capture {
        fut: CatchUnwind::new(fut, meta),
    };
    let handle = match meta.span() {
        None => tokio::spawn(task),
        Some(span) => tokio::spawn(tracing::Instrument::instrument(task, span)),
    };
    Task::new(handle, meta)
}

#[track_caller]
pub(crate) fn spawn_named<T, F>(name: Name, fut: F) -> Task<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    spawn_with(name, Infallible { fut })
}

#[track_caller]
pub(crate) fn spawn_blocking_named<T, F>(name: Name, f: F) -> Task<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let meta = Meta::start(name);
    let handle = tokio::task::spawn_blocking(move || {
        let _span = meta.span().map(|span| span.entered());
        catch::call(&meta, f).map_err(Error::Panicked)
    });
    Task::new(handle, meta)
}

/// Starts `fut` as a task on the current Tokio runtime, now, and returns its [`Task`].
///
/// The task runs in parallel with the caller (on a multi-thread runtime). A panic in it
/// is captured and arrives as [`Error::Panicked`] when the `Task` is awaited; the
/// `PanicError` records where the panic happened and where `go` was called.
///
/// Dropping the returned `Task` cancels the task; call [`Task::detach`] for
/// fire-and-forget.
///
/// # Panics
///
/// Outside a Tokio runtime, with a message naming the fix (`#[tokio::main]`, or
/// `Runtime::block_on` / `Runtime::enter`).
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goscope::Error> {
/// let task = goscope::go(async { "fetched".len() });
/// assert_eq!(task.await?, 7);
/// # Ok(())
/// # }
/// ```
#[track_caller]
pub fn go<F>(fut: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_named(None, fut)
}

/// Runs the closure `f` on Tokio's blocking thread pool and returns its [`Task`].
///
/// For CPU-heavy or blocking code (file I/O, compression, a synchronous client). A panic
/// in `f` is captured like in [`go`](fn@go). Once `f` has started it cannot be interrupted:
/// [`Task::cancel`] only stops it from starting.
///
/// # Panics
///
/// Outside a Tokio runtime, like [`go`](fn@go).
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goscope::Error> {
/// let sum = goscope::go_blocking(|| (1..=100u64).sum::<u64>());
/// assert_eq!(sum.await?, 5050);
/// # Ok(())
/// # }
/// ```
#[track_caller]
pub fn go_blocking<F, T>(f: F) -> Task<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    spawn_blocking_named(None, f)
}

/// Starts the future that `f` builds from a cancellation token (Go's `GoCtx`), as a task
/// bound to `token`.
///
/// `f` receives `ctx`, a child of `token`, to watch for graceful shutdown. When `token`
/// is cancelled the future is dropped at its next `.await` and the task ends with
/// `Err(Error::Cancelled)`; if both happen at once, a finished value wins. `ctx` is
/// cancelled when the task ends, however it ends (like Go's `defer cancel()`), so work
/// that `ctx` was handed to stops with it. Cancelling `ctx` does not cancel `token`.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use tokio_util::sync::CancellationToken;
///
/// let token = CancellationToken::new();
/// let listener = goscope::go_ctx(token.clone(), |ctx| async move {
///     ctx.cancelled().await; // a real listener would `select!` on messages too
///     "unreachable: the future is dropped when the token is cancelled"
/// });
/// token.cancel();
/// assert!(matches!(listener.await, Err(goscope::Error::Cancelled)));
/// # }
/// ```
#[track_caller]
pub fn go_ctx<F, Fut>(token: CancellationToken, f: F) -> Task<Fut::Output>
where
    F: FnOnce(CancellationToken) -> Fut,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let ctx = token.child_token();
    let fut = f(ctx.clone());
    spawn_with(None, async move {
        let _cancel_ctx_on_exit = ctx.drop_guard();
        token
            .run_until_cancelled_owned(fut)
            .await
            .ok_or(Error::Cancelled)
    })
}

/// Starts `fut` fire-and-forget, calling `recover` with the [`PanicError`] if it panics
/// (Go's `GoWithRecover`).
///
/// Use it when a panic must be answered by more than a log line: close a pipe, release a
/// waiter, mark a job as failed. The [`set_panic_hook`](crate::set_panic_hook) observer
/// sees the panic too, before `recover` runs. A panic inside `recover` is captured and
/// reported like any detached task's panic.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (tx, rx) = tokio::sync::oneshot::channel();
/// goscope::go_with_recover(
///     async { panic!("listener crashed") },
///     move |p| { let _ = tx.send(p.message().map(str::to_owned)); },
/// );
/// assert_eq!(rx.await.unwrap().as_deref(), Some("listener crashed"));
/// # }
/// ```
#[track_caller]
pub fn go_with_recover<F, R>(fut: F, recover: R)
where
    F: Future<Output = ()> + Send + 'static,
    R: FnOnce(PanicError) + Send + 'static,
{
    let meta = Meta::start(None);
    let inner = CatchUnwind::new(fut, meta);
    spawn_with(None, async move {
        if let Err(panic) = inner.await {
            recover(panic.received());
        }
        Ok(())
    })
    .detach();
}
