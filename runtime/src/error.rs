//! [`Error`], what a task, a scope or a timeout reports when it did not produce its value.

use std::time::Duration;

use crate::PanicError;

/// Why a task, a scope or a deadline-bound operation did not produce its value.
///
/// Awaiting a [`Task`](crate::Task) never panics: a panic in the task arrives as
/// [`Error::Panicked`], a cancelled task as [`Error::Cancelled`], and a missed
/// deadline as [`Error::TimedOut`].
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goscope::Error;
///
/// let task = goscope::go(async { panic!("disk full") });
/// match task.await {
///     Err(Error::Panicked(p)) => assert_eq!(p.message(), Some("disk full")),
///     other => unreachable!("{other:?}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The task panicked. The panic was captured, with its message and location.
    #[error(transparent)]
    Panicked(#[from] PanicError),
    /// The task was cancelled before it finished.
    #[error("the task was cancelled")]
    Cancelled,
    /// The deadline passed before the work finished; the work was cancelled.
    #[error("timed out after {0:?}")]
    TimedOut(Duration),
}

impl Error {
    /// Returns `true` for [`Error::Panicked`].
    ///
    /// ```
    /// assert!(!goscope::Error::Cancelled.is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, Error::Panicked(_))
    }

    /// Returns `true` for [`Error::Cancelled`].
    ///
    /// ```
    /// assert!(goscope::Error::Cancelled.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Cancelled)
    }

    /// Returns `true` for [`Error::TimedOut`].
    ///
    /// ```
    /// use std::time::Duration;
    /// assert!(goscope::Error::TimedOut(Duration::from_secs(1)).is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::TimedOut(_))
    }

    /// Marks a captured panic delivered to the user (see `panic::Unreceived`).
    pub(crate) fn received(self) -> Self {
        match self {
            Error::Panicked(p) => Error::Panicked(p.received()),
            other => other,
        }
    }

    /// Returns the captured panic, if this is [`Error::Panicked`].
    ///
    /// Use it with [`PanicError::into_panic`] and [`std::panic::resume_unwind`] to
    /// propagate a task's panic into the current thread.
    ///
    /// ```
    /// assert!(goscope::Error::Cancelled.into_panic().is_none());
    /// ```
    pub fn into_panic(self) -> Option<PanicError> {
        match self {
            Error::Panicked(p) => Some(p),
            _ => None,
        }
    }
}
