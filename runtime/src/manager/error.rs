//! What [`Manager::run`](super::Manager::run) reports: [`ManagerError`], made of
//! [`Failure`]s, each a service, a [`Phase`] and a [`Cause`]; and [`AddError`].

use std::fmt;
use std::time::Duration;

use super::BoxError;
use crate::PanicError;

/// The phase of a service's life a [`Failure`] happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// [`Service::initialize`](super::Service::initialize).
    Initialize,
    /// [`Service::execute`](super::Service::execute), or an execute-only task.
    Execute,
    /// [`Service::cleanup`](super::Service::cleanup).
    Cleanup,
}

impl fmt::Display for Phase {
    /// `initialize`, `execute` or `cleanup`.
    ///
    /// ```
    /// assert_eq!(goscope::manager::Phase::Cleanup.to_string(), "cleanup");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Initialize => "initialize",
            Phase::Execute => "execute",
            Phase::Cleanup => "cleanup",
        })
    }
}

/// Why a phase failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Cause {
    /// The phase returned this error.
    Error(BoxError),
    /// The phase panicked; the panic was captured (and reported to the panic hook), with
    /// the service's name as the task name.
    Panicked(PanicError),
    /// The phase did not end in time and was cancelled: a cleanup past the cleanup
    /// timeout, or an execute still running the stop timeout after its `ctx` was
    /// cancelled.
    TimedOut(Duration),
}

impl Cause {
    /// The captured panic, if the phase panicked.
    ///
    /// ```
    /// use goscope::manager::Cause;
    /// assert!(Cause::Error("refused".into()).panic().is_none());
    /// ```
    pub fn panic(&self) -> Option<&PanicError> {
        match self {
            Cause::Panicked(panic) => Some(panic),
            _ => None,
        }
    }

    /// The error the phase returned, if it returned one.
    ///
    /// ```
    /// use goscope::manager::Cause;
    /// let cause = Cause::Error("refused".into());
    /// assert_eq!(cause.error().unwrap().to_string(), "refused");
    /// ```
    pub fn error(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            Cause::Error(error) => Some(&**error),
            _ => None,
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Error(error) => fmt::Display::fmt(error, f),
            Cause::Panicked(panic) => fmt::Display::fmt(panic, f),
            Cause::TimedOut(duration) => write!(f, "timed out after {duration:?}"),
        }
    }
}

/// One service's failure: which service, in which phase, and why.
///
/// Displays as ``"execute of service `worker` failed: disk full"``.
#[derive(Debug)]
#[non_exhaustive]
pub struct Failure {
    /// The service's [`name`](super::Service::name), or the execute-only task's.
    pub service: String,
    /// The phase that failed.
    pub phase: Phase,
    /// Why.
    pub cause: Cause,
}

impl Failure {
    pub(super) fn new(service: &str, phase: Phase, cause: Cause) -> Self {
        Failure {
            service: service.to_owned(),
            phase,
            cause,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of service `{}` failed: {}",
            self.phase, self.service, self.cause
        )
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.cause {
            Cause::Error(error) => Some(&**error),
            Cause::Panicked(panic) => Some(panic),
            Cause::TimedOut(_) => None,
        }
    }
}

/// Why [`Manager::run`](super::Manager::run) did not end cleanly: every failure, none
/// lost.
///
/// `first` is what stopped the manager — an initialise failure, or the first execute
/// failure — or `None` when it stopped for a shutdown or because every execute returned,
/// and something failed only afterwards. `later` holds every failure after it, in the
/// order they happened: other executes that failed or panicked while stopping, executes
/// cut off by the stop timeout, and every cleanup that failed, panicked or timed out.
///
/// Displays as its failures in order, joined by `"; then "`:
/// ``"execute of service `worker` failed: disk full; then cleanup of service `db` failed: timed out after 30s"``.
///
/// It is `Send + Sync + 'static`, so `?` turns it into `anyhow::Error`, `eyre::Report` or
/// `Box<dyn Error + Send + Sync>`. Its [`source`](std::error::Error::source) is the first
/// failure, whose source is the phase's own error or its [`PanicError`].
#[derive(Debug)]
#[non_exhaustive]
pub struct ManagerError {
    /// The failure that stopped the manager, if a failure did.
    pub first: Option<Failure>,
    /// The failures after it, in order.
    pub later: Vec<Failure>,
}

impl ManagerError {
    /// Every failure, in the order they happened (`first`, then `later`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goscope::manager::{Manager, Phase};
    ///
    /// let mut manager = Manager::new();
    /// manager.add_execute("flaky", |_ctx| async { Err("lost the connection".into()) });
    /// let error = manager.run().await.unwrap_err();
    /// let failures: Vec<_> = error.failures().map(|f| (f.service.as_str(), f.phase)).collect();
    /// assert_eq!(failures, [("flaky", Phase::Execute)]);
    /// # }
    /// ```
    pub fn failures(&self) -> impl Iterator<Item = &Failure> {
        self.first.iter().chain(&self.later)
    }

    /// The failures in `phase`, in order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goscope::manager::{Manager, Phase};
    ///
    /// let mut manager = Manager::new();
    /// manager.add_execute("flaky", |_ctx| async { Err("lost the connection".into()) });
    /// let error = manager.run().await.unwrap_err();
    /// assert_eq!(error.in_phase(Phase::Cleanup).count(), 0);
    /// # }
    /// ```
    pub fn in_phase(&self, phase: Phase) -> impl Iterator<Item = &Failure> {
        self.failures().filter(move |f| f.phase == phase)
    }
}

impl fmt::Display for ManagerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, failure) in self.failures().enumerate() {
            if i > 0 {
                f.write_str("; then ")?;
            }
            fmt::Display::fmt(failure, f)?;
        }
        Ok(())
    }
}

impl std::error::Error for ManagerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.failures()
            .next()
            .map(|f| f as &(dyn std::error::Error + 'static))
    }
}

/// An execute-only task was added too late: the manager is shutting down or has
/// finished. Returned by [`ManagerHandle::add_execute`](super::ManagerHandle::add_execute).
#[derive(Debug)]
pub struct AddError {
    pub(super) name: String,
}

impl AddError {
    /// The name of the task that was not added.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goscope::manager::Manager;
    ///
    /// let manager = Manager::new();
    /// let handle = manager.handle();
    /// manager.run().await.unwrap();
    /// let late = handle.add_execute("late", |_ctx| async { Ok(()) }).unwrap_err();
    /// assert_eq!(late.name(), "late");
    /// # }
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for AddError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot add `{}`: the manager is shutting down or has finished",
            self.name
        )
    }
}

impl std::error::Error for AddError {}
