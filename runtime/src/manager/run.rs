//! [`Manager`]: adding services and options, and `run` — the initialise and cleanup
//! phases around the execute phase (in `execute.rs`).

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::select;
use tokio_util::sync::CancellationToken;

use super::error::{Cause, Failure, ManagerError, Phase};
use super::execute::{Finish, ManagerHandle, Shared, execute};
use super::service::{Erased, execute_fn};
use super::{BoxError, Service};
use crate::panic::catch::CatchUnwind;

/// How long each cleanup may take unless [`Manager::cleanup_timeout`] says otherwise.
pub const DEFAULT_CLEANUP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long executes have to return once their `ctx` is cancelled unless
/// [`Manager::stop_timeout`] says otherwise.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// A supervisor for a program's long-running [`Service`]s and execute-only tasks: it
/// initialises the services one by one, runs every execute in parallel until a shutdown
/// or the first failure, and cleans up in reverse order. See the [module
/// docs](super) for the rules.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use goscope::manager::Manager;
///
/// let mut manager = Manager::new();
/// manager.add_execute("heartbeat", |ctx| async move {
///     ctx.cancelled().await;
///     Ok(())
/// });
/// let shutdown = manager.shutdown_token();
/// let stopper = goscope::go(async move {
///     tokio::time::sleep(Duration::from_secs(5)).await;
///     shutdown.cancel();
/// });
/// assert!(manager.run().await.is_ok()); // a shutdown is a clean stop
/// stopper.await.unwrap();
/// # }
/// ```
pub struct Manager {
    services: Vec<Entry>,
    shared: Arc<Shared>,
    signals: bool,
    cleanup_timeout: Duration,
    stop_timeout: Duration,
}

/// A service, as the manager holds it.
pub(super) struct Entry {
    pub(super) name: Cow<'static, str>,
    /// Shared with its execute's task during the execute phase; unique otherwise.
    pub(super) service: Arc<dyn Erased>,
    /// Where it was added: the `spawned_at` of its panics.
    pub(super) at: &'static Location<'static>,
}

impl Default for Manager {
    fn default() -> Self {
        Self::new()
    }
}

impl Manager {
    /// A manager with no services, its own shutdown token, no signal handling, and the
    /// default timeouts ([`DEFAULT_CLEANUP_TIMEOUT`], [`DEFAULT_STOP_TIMEOUT`]).
    ///
    /// ```
    /// let manager = goscope::manager::Manager::new();
    /// assert!(!manager.shutdown_token().is_cancelled());
    /// ```
    pub fn new() -> Self {
        Manager {
            services: Vec::new(),
            shared: Shared::new(),
            signals: false,
            cleanup_timeout: DEFAULT_CLEANUP_TIMEOUT,
            stop_timeout: DEFAULT_STOP_TIMEOUT,
        }
    }

    /// Adds a service: initialised after those added before it, cleaned up before them.
    ///
    /// ```
    /// use goscope::manager::{BoxError, Manager, Service};
    /// use goscope::CancellationToken;
    ///
    /// struct Worker;
    /// impl Service for Worker {
    ///     async fn execute(&self, ctx: CancellationToken) -> Result<(), BoxError> {
    ///         ctx.cancelled().await;
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let mut manager = Manager::new();
    /// manager.add(Worker).add(Worker);
    /// ```
    #[track_caller]
    pub fn add<S: Service>(&mut self, service: S) -> &mut Self {
        self.services.push(Entry {
            name: service.name(),
            service: Arc::new(service),
            at: Location::caller(),
        });
        self
    }

    /// Adds an execute-only task: `f(ctx)` runs in the execute phase, in parallel with the
    /// services' executes, under the same rules, and has no initialise or cleanup. To add
    /// one while the manager runs, use [`ManagerHandle::add_execute`].
    ///
    /// ```
    /// let mut manager = goscope::manager::Manager::new();
    /// manager.add_execute("metrics", |ctx| async move {
    ///     ctx.cancelled().await;
    ///     Ok(())
    /// });
    /// ```
    #[track_caller]
    pub fn add_execute<F, Fut>(&mut self, name: impl Into<Cow<'static, str>>, f: F) -> &mut Self
    where
        F: FnOnce(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.shared
            .queue(name.into(), execute_fn(f), Location::caller());
        self
    }

    /// A handle to add execute-only tasks and to shut the manager down, from anywhere,
    /// before or while it runs.
    ///
    /// ```
    /// let manager = goscope::manager::Manager::new();
    /// let handle = manager.handle();
    /// handle.shutdown();
    /// assert!(manager.shutdown_token().is_cancelled());
    /// ```
    pub fn handle(&self) -> ManagerHandle {
        ManagerHandle::new(Arc::clone(&self.shared))
    }

    /// The token that shuts the manager down when cancelled (a clone: cancelling it is
    /// cancelling the manager's).
    ///
    /// ```
    /// let manager = goscope::manager::Manager::new();
    /// let token = manager.shutdown_token();
    /// token.cancel();
    /// assert!(manager.shutdown_token().is_cancelled());
    /// ```
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shared.shutdown_token()
    }

    /// Shuts the manager down when `token` is cancelled, instead of its own token (for
    /// a manager inside a bigger program that has a shutdown token already). A failure
    /// does not cancel `token`; a signal does, with
    /// [`shutdown_on_signals`](Manager::shutdown_on_signals) (pass a
    /// [`child_token`](CancellationToken::child_token) to keep a signal from reaching
    /// its parent).
    ///
    /// ```
    /// use goscope::CancellationToken;
    ///
    /// let app = CancellationToken::new();
    /// let mut manager = goscope::manager::Manager::new();
    /// manager.shutdown_with(app.child_token());
    /// app.cancel();
    /// assert!(manager.shutdown_token().is_cancelled());
    /// ```
    pub fn shutdown_with(&mut self, token: CancellationToken) -> &mut Self {
        self.shared.set_shutdown_token(token);
        self
    }

    /// Shuts the manager down on Ctrl-C (SIGINT), and on unix on SIGTERM too, while
    /// [`run`](Manager::run) runs — a clean stop: the signal cancels the
    /// [`shutdown_token`](Manager::shutdown_token) itself, exactly as cancelling it by
    /// hand would, so everything else that watches the token stops too.
    ///
    /// The handlers are registered when `run` starts and need a runtime with its I/O
    /// driver (`#[tokio::main]` has it). As with any Tokio signal handler, once
    /// registered the signal no longer kills the process by default, for the rest of
    /// its life. If a handler cannot be registered, a `tracing` warning says so and the
    /// manager runs without it.
    ///
    /// ```no_run
    /// # #[tokio::main]
    /// # async fn main() {
    /// let mut manager = goscope::manager::Manager::new();
    /// manager.shutdown_on_signals();
    /// manager.run().await.unwrap();
    /// # }
    /// ```
    pub fn shutdown_on_signals(&mut self) -> &mut Self {
        self.signals = true;
        self
    }

    /// How long each service's cleanup may take (default: [`DEFAULT_CLEANUP_TIMEOUT`],
    /// 30 s). A cleanup still running then is cancelled and reported as
    /// [`Cause::TimedOut`]; the next cleanup runs.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut manager = goscope::manager::Manager::new();
    /// manager.cleanup_timeout(Duration::from_secs(5));
    /// ```
    pub fn cleanup_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.cleanup_timeout = timeout;
        self
    }

    /// How long executes have to return once the manager has begun to stop (a
    /// shutdown or a failure cancelled their `ctx`; default: [`DEFAULT_STOP_TIMEOUT`],
    /// 30 s). Those still running then are aborted (dropped at their next `.await`) and
    /// each is reported as an execute [`Cause::TimedOut`]; then the cleanups run.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut manager = goscope::manager::Manager::new();
    /// manager.stop_timeout(Duration::from_secs(10));
    /// ```
    pub fn stop_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.stop_timeout = timeout;
        self
    }

    /// Runs the three phases: initialise each service in order, execute everything in
    /// parallel until a shutdown, a failure or the end of every execute, then clean up
    /// the initialised services in reverse order. Returns `Ok(())` when nothing failed
    /// (a shutdown is not a failure), else every failure — each of which was also a
    /// `tracing` error event (target `goscope::manager`; fields `service`, `phase`,
    /// `cause`) when it happened.
    ///
    /// When it returns, nothing it started is still running. Dropping the future
    /// instead aborts every execute and skips the cleanups: shut down with the token to
    /// clean up.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut manager = goscope::manager::Manager::new();
    /// manager.add_execute("one-shot", |_ctx| async { Ok(()) });
    /// // Every execute has returned: nothing left to run.
    /// assert!(manager.run().await.is_ok());
    /// # }
    /// ```
    pub async fn run(self) -> Result<(), ManagerError> {
        let Manager {
            mut services,
            shared,
            signals,
            cleanup_timeout,
            stop_timeout,
        } = self;
        let shutdown = shared.shutdown_token();
        let stop = shutdown.child_token();
        let phases = async {
            let _finish = Finish(&shared);
            let initialised = initialize(&shared, &mut services, &stop).await;
            if !shared.has_failed() && !stop.is_cancelled() {
                execute(&shared, &services, stop.child_token(), stop_timeout).await;
            }
            drop(_finish);
            for entry in services[..initialised].iter_mut().rev() {
                if let Some(failure) = cleanup(entry, cleanup_timeout).await {
                    shared.fail(failure, false);
                }
            }
        };
        if signals {
            // A signal cancels the shutdown token itself, as cancelling it by hand does:
            // whoever else watches it (the rest of the program) learns of the shutdown.
            let listen = pin!(super::signal::shutdown_on_signal(shutdown));
            let _ = select(pin!(phases), listen).await;
        } else {
            phases.await;
        }
        let failures = shared.take_failures();
        if failures.first.is_none() && failures.later.is_empty() {
            Ok(())
        } else {
            Err(failures)
        }
    }
}

/// Initialises the services in order until one fails or the manager is stopped; returns
/// how many were initialised.
async fn initialize(shared: &Shared, services: &mut [Entry], stop: &CancellationToken) -> usize {
    let mut initialised = 0;
    for entry in services {
        let Some(service) = Arc::get_mut(&mut entry.service) else {
            let cause = Cause::Error(SHARED.into());
            shared.fail(Failure::new(&entry.name, Phase::Initialize, cause), true);
            break;
        };
        // Called inside the caught future: a panic before its first `.await` is caught too.
        let init = caught(async { service.initialize().await }, &entry.name, entry.at);
        let cause = match stop.run_until_cancelled(init).await {
            // Stopped while it initialised: it did not finish, so it is not cleaned up.
            None => break,
            Some(None) => {
                initialised += 1;
                continue;
            }
            Some(Some(cause)) => cause,
        };
        shared.fail(Failure::new(&entry.name, Phase::Initialize, cause), true);
        break;
    }
    initialised
}

const SHARED: &str = "the service is still shared with its execute (a goscope bug)";

/// Cleans up one initialised service, within `timeout`.
async fn cleanup(entry: &mut Entry, timeout: Duration) -> Option<Failure> {
    let Some(service) = Arc::get_mut(&mut entry.service) else {
        let cause = Cause::Error(SHARED.into());
        return Some(Failure::new(&entry.name, Phase::Cleanup, cause));
    };
    let clean = caught(async { service.cleanup().await }, &entry.name, entry.at);
    let cause = match tokio::time::timeout(timeout, clean).await {
        Ok(None) => return None,
        Ok(Some(cause)) => cause,
        Err(_) => Cause::TimedOut(timeout),
    };
    Some(Failure::new(&entry.name, Phase::Cleanup, cause))
}

/// Runs one phase of the service `name`: `None` if it succeeded, else its error or its
/// panic (captured as the service's, and reported to the panic hook).
// `&Cow`, not `&str`: a `'static` name is cloned into the `PanicError` without allocating.
#[allow(clippy::ptr_arg)]
pub(super) async fn caught(
    phase: impl Future<Output = Result<(), BoxError>>,
    name: &Cow<'static, str>,
    at: &'static Location<'static>,
) -> Option<Cause> {
    match CatchUnwind::new(phase, (name, at)).await {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(Cause::Error(error)),
        // Delivered in `run`'s `Err`, and told by the manager's own failure event.
        Err(panic) => Some(Cause::Panicked(panic.received())),
    }
}

impl fmt::Debug for Manager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let services: Vec<&str> = self.services.iter().map(|e| &*e.name).collect();
        f.debug_struct("Manager")
            .field("services", &services)
            .field("signals", &self.signals)
            .field("cleanup_timeout", &self.cleanup_timeout)
            .field("stop_timeout", &self.stop_timeout)
            .finish_non_exhaustive()
    }
}
