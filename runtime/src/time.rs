//! Time: `after(d)`, Go's `time.After`, a future that completes once `d` has passed, and
//! `timeout(d, fut)`, a future with a deadline. They are goscope's one timer: every
//! deadline in the crate (`timeout`, [`Task::timeout`](crate::Task::timeout), `race!`'s
//! `timeout = d`, a scope's `timeout = d`, a `select!` `after` case) is an [`After`].

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::Error;
use crate::util::timer::Registration;

/// A future that completes once `duration` has passed: Go's `time.After`, for a
/// `select!` timeout case (`_ = after(d) => …`) or anywhere else.
///
/// Created inside a Tokio runtime it is a Tokio timer, so `tokio::time::pause()` and
/// `advance` control it. Created outside one (a `select_blocking!` on a plain thread), it
/// waits on the process's one timer thread (started at the first such timer): dropping it
/// unfired takes it off that thread, so a `select_blocking!` case that loses leaves nothing
/// behind.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use goscope::{after, chan, select};
///
/// let (_tx, rx) = chan::bounded::<u32>(0);
/// let outcome = select! {
///     v = recv(rx) => format!("got {v:?}"),
///     _ = after(Duration::from_millis(50)) => "timed out".to_owned(),
/// };
/// assert_eq!(outcome, "timed out");
/// # }
/// ```
pub fn after(duration: Duration) -> After {
    let inner = match tokio::runtime::Handle::try_current() {
        Ok(_) => Inner::Tokio {
            sleep: tokio::time::sleep(duration),
        },
        Err(_) => Inner::Thread {
            deadline: Instant::now().checked_add(duration),
            timer: None,
        },
    };
    After { inner }
}

pin_project! {
    /// Completes once its duration has passed.
    ///
    /// This `struct` is created by [`after`]. Cancel-safe: dropping it has no effect but
    /// to stop waiting.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct After {
        #[pin]
        inner: Inner,
    }
}

pin_project! {
    #[project = InnerProj]
    enum Inner {
        Tokio { #[pin] sleep: tokio::time::Sleep },
        /// `deadline: None`: too far away to represent; never completes.
        Thread { deadline: Option<Instant>, timer: Option<Registration> },
    }
}

impl Future for After {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.project().inner.project() {
            InnerProj::Tokio { sleep } => sleep.poll(cx),
            InnerProj::Thread { deadline, timer } => {
                let Some(deadline) = *deadline else {
                    return Poll::Pending;
                };
                if Instant::now() >= deadline {
                    return Poll::Ready(());
                }
                timer
                    .get_or_insert_with(|| Registration::new(deadline))
                    .poll(cx)
            }
        }
    }
}

impl fmt::Debug for After {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let deadline = match &self.inner {
            Inner::Tokio { sleep } => sleep.deadline().into_std(),
            Inner::Thread { deadline, .. } => match deadline {
                Some(deadline) => *deadline,
                None => return f.write_str("After { deadline: never }"),
            },
        };
        f.debug_struct("After")
            .field("deadline", &deadline)
            .finish()
    }
}

/// Runs `fut` for at most `duration`: its output, or `Err(Error::TimedOut(duration))` (and
/// `fut` dropped — a [`Task`](crate::Task) is thereby cancelled) if the time runs out
/// first.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use goscope::Error;
///
/// let quick = goscope::timeout(Duration::from_secs(1), async { 42 }).await;
/// assert_eq!(quick.unwrap(), 42);
///
/// let slow = goscope::timeout(Duration::from_millis(10), std::future::pending::<()>()).await;
/// assert!(matches!(slow, Err(Error::TimedOut(d)) if d == Duration::from_millis(10)));
/// # }
/// ```
pub fn timeout<F: IntoFuture>(duration: Duration, fut: F) -> Timeout<F::IntoFuture> {
    Timeout {
        fut: fut.into_future(),
        timer: after(duration),
        duration,
    }
}

pin_project! {
    /// A future with a deadline: resolves to its output, or to
    /// `Err(Error::TimedOut(_))`.
    ///
    /// This `struct` is created by [`timeout`].
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Timeout<F> {
        #[pin]
        fut: F,
        #[pin]
        timer: After,
        duration: Duration,
    }
}

impl<F> Timeout<F> {
    /// The future.
    pub(crate) fn get_ref(&self) -> &F {
        &self.fut
    }

    /// The future, pinned (a [`Task`](crate::Task) is cancelled through it).
    pub(crate) fn future_mut(self: Pin<&mut Self>) -> Pin<&mut F> {
        self.project().fut
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The future first: one that is ready at its deadline is not late.
        if let Poll::Ready(output) = this.fut.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        ready!(this.timer.poll(cx));
        Poll::Ready(Err(Error::TimedOut(*this.duration)))
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("duration", &self.duration)
            .finish_non_exhaustive()
    }
}
