//! [`Task`], and the functions that start one: [`go`](fn@go), [`go_blocking`], [`go_ctx`],
//! [`go_with_recover`].
//!
//! # Design
//!
//! A task is a Tokio task whose future is wrapped in `Capture` (`spawn.rs`): every poll runs inside
//! `catch_unwind`, so a panic becomes `Err(Error::Panicked(_))` on the spot, on the
//! panicking thread, where the panic hook (see `panic.rs`) has just recorded its
//! location. The Tokio `JoinHandle` therefore carries `Result<T, Error>` and a Tokio
//! `JoinError` only ever means "cancelled" (or, in one corner, a panic in the drop of a
//! cancelled future, which has no location).
//!
//! [`Task`] owns the `JoinHandle`. Dropping it aborts the task, so nothing outlives the
//! code that started it unless it says so with [`Task::detach`]. There is no allocation
//! beyond Tokio's own task cell, and the cell grows as little as possible, because Tokio
//! sizes it in steps of 128 bytes and a bigger step means more memory traffic per task:
//! the wrapper adds 16 bytes, two thin pointers (the name as `&'static &'static str`, the
//! spawn location as `&'static Location`). The task's `tracing` span is not stored in it:
//! when a subscriber wants the span, the task is spawned `Instrumented` instead.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::Error;

mod spawn;

use crate::panic::{self, PanicError};
pub(crate) use spawn::{Meta, Name, spawn_blocking_named, spawn_named};
pub use spawn::{go, go_blocking, go_ctx, go_with_recover};

/// A running task: a handle to await its result, cancel it, or let it run on its own.
///
/// Created by [`go`](fn@go), [`go_blocking`], [`go_ctx`] and every `#[go]` function.
///
/// - `.await` gives `Result<T, Error>` and never panics: a panic in the task arrives as
///   [`Error::Panicked`], with its message and location.
/// - Dropping a `Task` cancels it: the task's future is dropped at its next `.await`.
///   Nothing outlives its handle unless you call [`detach`](Task::detach).
/// - [`wait`](Task::wait) blocks a thread that is not running async code.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goscope::Error> {
/// let a = goscope::go(async { 20 });
/// let b = goscope::go(async { 22 });
/// assert_eq!(a.await? + b.await?, 42);
/// # Ok(())
/// # }
/// ```
///
/// # Cancel safety
///
/// Awaiting a `Task` is cancel-safe in the sense that dropping the `.await` drops the
/// `Task`, which cancels the task: use `&mut task` to poll it without giving it up.
#[must_use = "dropping a `Task` cancels it; `.await` it, or call `.detach()` to let it run"]
pub struct Task<T> {
    /// `None` only inside `detach`, which consumes the task.
    handle: Option<JoinHandle<Result<T, Error>>>,
    name: Name,
    cancelled: AtomicBool,
    done: bool,
    /// Whether `poll` delivers a panic to its caller (`panic::Unreceived`); `false` for a
    /// task a scope watches, which keeps the panic's report beside its error instead.
    delivers: bool,
}

impl<T> Task<T> {
    fn new(handle: JoinHandle<Result<T, Error>>, meta: Meta) -> Self {
        Task {
            handle: Some(handle),
            name: meta.name,
            cancelled: AtomicBool::new(false),
            done: false,
            delivers: true,
        }
    }

    /// Leaves a panic's report owed after `poll`: the caller delivers it, or drops it.
    pub(crate) fn keep_unreceived(&mut self) {
        self.delivers = false;
    }

    fn handle(&self) -> &JoinHandle<Result<T, Error>> {
        self.handle
            .as_ref()
            .expect("goscope: a `Task` is only emptied by `detach`, which consumes it")
    }

    /// Returns `true` once the task has finished: returned, panicked or been cancelled.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let task = goscope::go(async { 1 });
    /// tokio::task::yield_now().await; // let it run
    /// assert!(task.is_finished());
    /// # }
    /// ```
    pub fn is_finished(&self) -> bool {
        self.done || self.handle().is_finished()
    }

    /// Cancels the task: its future is dropped at its next `.await` (or before it starts),
    /// and awaiting the `Task` then gives `Err(Error::Cancelled)`.
    ///
    /// A task that already finished keeps its result. A [`go_blocking`] closure that has
    /// started cannot be interrupted: it runs to the end and its result is kept.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let task = goscope::go(std::future::pending::<()>());
    /// task.cancel();
    /// assert!(task.is_cancelled());
    /// assert!(matches!(task.await, Err(goscope::Error::Cancelled)));
    /// # }
    /// ```
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
        self.handle().abort();
    }

    /// Returns `true` if [`cancel`](Task::cancel) was called on this handle, or if
    /// awaiting it reported that the task was cancelled (by its token, for [`go_ctx`]).
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// The task's name: the function's path for `#[go]`, the `name = "…"` option, or
    /// `None` for [`go`](fn@go).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// #[goscope::go(name = "mailer")]
    /// async fn send() {}
    /// assert_eq!(send().name(), Some("mailer"));
    /// assert_eq!(goscope::go(async {}).name(), None);
    /// # }
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.copied()
    }

    /// Lets the task run on its own, fire-and-forget.
    ///
    /// Its result is dropped when it finishes. If it panics, the panic is reported like
    /// every captured panic: std's panic message on stderr, a `tracing` error event and
    /// the [`set_panic_hook`](crate::set_panic_hook) observer.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// goscope::go(async { /* send an email */ }).detach();
    /// # }
    /// ```
    pub fn detach(mut self) {
        // Dropping a `JoinHandle` lets the Tokio task run on; `Drop for Task` sees `None`.
        drop(self.handle.take());
    }

    /// Waits for the task, at most `duration`; when the deadline passes first, the task is
    /// cancelled and the result is `Err(Error::TimedOut(duration))`.
    ///
    /// Needs a runtime with the time driver (`#[tokio::main]` has it).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// let slow = goscope::go(tokio::time::sleep(Duration::from_secs(60)));
    /// let r = slow.timeout(Duration::from_secs(1)).await;
    /// assert!(matches!(r, Err(goscope::Error::TimedOut(d)) if d == Duration::from_secs(1)));
    /// # }
    /// ```
    pub fn timeout(self, duration: Duration) -> TaskTimeout<T> {
        TaskTimeout {
            inner: crate::timeout(duration, self),
        }
    }

    /// Blocks the current thread until the task finishes and returns its result.
    ///
    /// For threads that do not run async code: a `std::thread`, `main` before a runtime's
    /// `block_on`, or a [`go_blocking`] closure. The task keeps running on its runtime,
    /// which must be driven by someone else (a multi-thread runtime, or a current-thread
    /// runtime inside another thread's `block_on`).
    ///
    /// # Panics
    ///
    /// Blocking a thread that runs async tasks would stall those tasks, possibly forever,
    /// so `wait_blocking` refuses to: called inside a goscope task it panics with a message
    /// saying to `.await` the task instead (the panic is captured like any other); called on any
    /// other async thread (a `tokio::spawn`ed task, `block_on`), Tokio panics with
    /// "Cannot start a runtime from within a runtime".
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tokio::runtime::Runtime::new().unwrap();
    /// let task = {
    ///     let _enter = rt.enter(); // `go` needs a runtime context, not async code
    ///     goscope::go(async { 6 * 7 })
    /// };
    /// let answer = std::thread::spawn(move || task.wait_blocking()).join().unwrap();
    /// assert_eq!(answer.unwrap(), 42);
    /// ```
    pub fn wait_blocking(self) -> Result<T, Error> {
        wait_blocking(self, "Task::wait_blocking", "the task")
    }

    /// Waits for the task asynchronously: `task.wait().await` is `task.await` (a `Task` is
    /// its own future), under the name every goscope handle has for it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// assert_eq!(goscope::go(async { 6 * 7 }).wait().await.unwrap(), 42);
    /// # }
    /// ```
    pub fn wait(self) -> Self {
        self
    }
}

/// Blocks this thread until `fut` is done: on the runtime this thread has entered, if
/// any, or on goscope's own executor. What `wait_blocking` does for every handle.
///
/// # Panics
///
/// Inside a goscope task, with a message naming `call` and saying to await `what`
/// instead: blocking there would stall the tasks of that worker thread.
#[track_caller]
pub(crate) fn wait_blocking<F: Future>(fut: F, call: &str, what: &str) -> F::Output {
    if IN_TASK.get() {
        panic!(
            "`{call}()` called inside a goscope task: it would block a thread that runs \
             async tasks; `.await` {what} instead"
        );
    }
    match Handle::try_current() {
        Ok(handle) => handle.block_on(fut),
        Err(_) => crate::util::block_on::block_on(fut),
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(!self.done, "`Task` polled after it completed");
        let handle = self
            .handle
            .as_mut()
            .expect("goscope: a `Task` is only emptied by `detach`, which consumes it");
        let out = match Pin::new(handle).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(out)) => out,
            Poll::Ready(Err(join)) if join.is_cancelled() => Err(Error::Cancelled),
            Poll::Ready(Err(join)) => {
                // A panic outside our `catch_unwind`: in the drop of a cancelled future.
                let panic = PanicError::from_panic(join.into_panic());
                panic::observe(&panic);
                Err(Error::Panicked(panic))
            }
        };
        // Delivered as a value: told at DEBUG, not owed at ERROR.
        let out = if self.delivers {
            out.map_err(Error::received)
        } else {
            out
        };
        self.done = true;
        if matches!(out, Err(Error::Cancelled)) {
            self.cancelled.store(true, Ordering::Relaxed);
        }
        Poll::Ready(out)
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        if let Some(handle) = &self.handle
            && !self.done
        {
            handle.abort();
        }
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("name", &self.name)
            .field("finished", &self.is_finished())
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

pin_project_lite::pin_project! {
    /// Waits for a task with a deadline: the one [`Timeout`](crate::Timeout), over the task,
    /// its two errors made one.
    ///
    /// This `struct` is created by [`Task::timeout`]. When the deadline passes the task is
    /// cancelled; dropping it drops the task, which cancels it too.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct TaskTimeout<T> {
        #[pin]
        inner: crate::Timeout<Task<T>>,
    }
}

impl<T> Future for TaskTimeout<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut inner = self.project().inner;
        match std::task::ready!(inner.as_mut().poll(cx)) {
            Ok(out) => Poll::Ready(out),
            Err(timed_out) => {
                inner.future_mut().cancel();
                Poll::Ready(Err(timed_out))
            }
        }
    }
}

impl<T> fmt::Debug for TaskTimeout<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskTimeout")
            .field("task", self.inner.get_ref())
            .field("timeout", &self.inner)
            .finish()
    }
}

std::thread_local! {
    /// `true` while this thread polls a goscope task's future.
    static IN_TASK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}
