//! [`Manager`] and [`ManagerHandle`]: the three phases, and adding execute-only tasks.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location};
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::select;
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use super::error::{AddError, Cause, Failure, ManagerError, Phase};
use super::service::{Erased, ExecuteFn, PhaseFuture, execute_fn};
use super::{BoxError, Service};
use crate::Error;
use crate::panic;
use crate::scope::{self, Scope};

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
struct Entry {
    name: Cow<'static, str>,
    /// Shared with its execute's task during the execute phase; unique otherwise.
    service: Arc<dyn Erased>,
    /// Where it was added: the `spawned_at` of its panics.
    at: &'static Location<'static>,
}

/// An execute-only task waiting for the execute phase.
struct Pending {
    name: Cow<'static, str>,
    f: ExecuteFn,
    at: &'static Location<'static>,
}

/// What the manager shares with its handles and its executes' tasks.
///
/// Lock order: `stage`, then `count`; an execute's task (whose drop may run inside a
/// `spawn` that refuses it) takes only `count` and `failures`.
struct Shared {
    shutdown: Mutex<CancellationToken>,
    stage: Mutex<Stage>,
    count: Mutex<Count>,
    /// Cancelled once no execute is running and none can be added.
    idle: CancellationToken,
    failures: Mutex<ManagerError>,
}

enum Stage {
    /// Before the execute phase: execute-only tasks wait here.
    Building(Vec<Pending>),
    /// The execute phase.
    Running(Live),
    /// After it: nothing more is added.
    Done,
}

/// The execute phase's state.
struct Live {
    /// The executes' tasks are its `'static` children.
    scope: Scope<'static, Error>,
    /// The parent of every execute's `ctx`.
    ctx: CancellationToken,
    stop_timeout: Duration,
}

/// The executes running, and whether more may start.
struct Count {
    /// False once the manager is stopping: `ctx` was cancelled, or every execute returned.
    accepting: bool,
    running: usize,
}

impl Shared {
    /// Records a failure: the first of an initialise or execute that stopped the manager
    /// (`stops`) is `first`; everything else goes to `later`, in order.
    fn fail(&self, failure: Failure, stops: bool) {
        let mut failures = self.failures.lock();
        if stops && failures.first.is_none() && failures.later.is_empty() {
            failures.first = Some(failure);
        } else {
            failures.later.push(failure);
        }
    }

    fn has_failed(&self) -> bool {
        self.failures.lock().first.is_some()
    }
}

impl Live {
    /// Starts one execute as a task of the scope, unless the manager is stopping. No user
    /// code runs here: the future is not polled yet.
    /// Refused, it gives the name and the task back (to be dropped outside the lock).
    fn start<F>(
        &self,
        shared: &Arc<Shared>,
        name: Cow<'static, str>,
        at: &'static Location<'static>,
        fut: F,
    ) -> Result<(), (Cow<'static, str>, F)>
    where
        F: FnOnce(CancellationToken) -> PhaseFuture<'static>,
    {
        {
            let mut count = shared.count.lock();
            if !count.accepting || self.ctx.is_cancelled() {
                return Err((name, fut));
            }
            count.running += 1;
        }
        let fut = fut(self.ctx.child_token());
        let running = Running {
            shared: Arc::clone(shared),
            name,
            stop_timeout: self.stop_timeout,
            started: false,
            finished: false,
        };
        let ctx = self.ctx.clone();
        // On a cancelled scope this drops the future unstarted: its guard counts it out.
        drop(self.scope.spawn(async move {
            running.run(fut, at, ctx).await;
            Ok(())
        }));
        Ok(())
    }
}

/// One execute's task: catches its panic, records its failure, and counts it out when
/// it ends — or is aborted by the stop timeout (its drop records that).
struct Running {
    shared: Arc<Shared>,
    name: Cow<'static, str>,
    stop_timeout: Duration,
    started: bool,
    finished: bool,
}

impl Running {
    async fn run(
        mut self,
        fut: PhaseFuture<'static>,
        at: &'static Location<'static>,
        ctx: CancellationToken,
    ) {
        self.started = true;
        let cause = match AssertUnwindSafe(fut).catch_unwind().await {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(Cause::Error(error)),
            Err(payload) => Some(Cause::Panicked(panic::capture(
                payload,
                Some(self.name.clone()),
                at,
            ))),
        };
        if let Some(cause) = cause {
            let stops = !ctx.is_cancelled();
            self.shared
                .fail(Failure::new(&self.name, Phase::Execute, cause), stops);
            ctx.cancel();
        }
        self.finished = true;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.started && !self.finished {
            // Aborted: still running when the stop timeout passed.
            let cause = Cause::TimedOut(self.stop_timeout);
            self.shared
                .fail(Failure::new(&self.name, Phase::Execute, cause), false);
        }
        let mut count = self.shared.count.lock();
        count.running -= 1;
        if count.running == 0 {
            count.accepting = false;
            self.shared.idle.cancel();
        }
    }
}

/// Ends the execute phase (and refuses later additions) however `run` ends, even if its
/// future is dropped.
struct Finish<'a>(&'a Shared);

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        let old = std::mem::replace(&mut *self.0.stage.lock(), Stage::Done);
        // Outside the lock: dropping pending closures runs user code.
        drop(old);
    }
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
            shared: Arc::new(Shared {
                shutdown: Mutex::new(CancellationToken::new()),
                stage: Mutex::new(Stage::Building(Vec::new())),
                count: Mutex::new(Count {
                    accepting: true,
                    running: 0,
                }),
                idle: CancellationToken::new(),
                failures: Mutex::new(ManagerError {
                    first: None,
                    later: Vec::new(),
                }),
            }),
            signals: false,
            cleanup_timeout: DEFAULT_CLEANUP_TIMEOUT,
            stop_timeout: DEFAULT_STOP_TIMEOUT,
        }
    }

    /// Adds a service: initialised after those added before it, cleaned up before them.
    ///
    /// ```
    /// use goscope::manager::{BoxError, Manager, Service};
    /// use goscope::manager::CancellationToken;
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
        let pending = Pending {
            name: name.into(),
            f: execute_fn(f),
            at: Location::caller(),
        };
        if let Stage::Building(list) = &mut *self.shared.stage.lock() {
            list.push(pending);
        }
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
        ManagerHandle {
            shared: Arc::clone(&self.shared),
        }
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
        self.shared.shutdown.lock().clone()
    }

    /// Shuts the manager down when `token` is cancelled, instead of its own token (for
    /// a manager inside a bigger program that has a shutdown token already). The
    /// manager never cancels `token` itself.
    ///
    /// ```
    /// use goscope::manager::CancellationToken;
    ///
    /// let app = CancellationToken::new();
    /// let mut manager = goscope::manager::Manager::new();
    /// manager.shutdown_with(app.child_token());
    /// app.cancel();
    /// assert!(manager.shutdown_token().is_cancelled());
    /// ```
    pub fn shutdown_with(&mut self, token: CancellationToken) -> &mut Self {
        *self.shared.shutdown.lock() = token;
        self
    }

    /// Shuts the manager down on Ctrl-C (SIGINT), and on unix on SIGTERM too, while
    /// [`run`](Manager::run) runs — a clean stop, like cancelling the shutdown token.
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
    /// (a shutdown is not a failure), else every failure.
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
        let stop = shared.shutdown.lock().child_token();
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
            let listen = pin!(super::signal::shutdown_on_signal(stop.clone()));
            let _ = select(pin!(phases), listen).await;
        } else {
            phases.await;
        }
        let failures = std::mem::replace(
            &mut *shared.failures.lock(),
            ManagerError {
                first: None,
                later: Vec::new(),
            },
        );
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
        let init = AssertUnwindSafe(async { service.initialize().await }).catch_unwind();
        let cause = match stop.run_until_cancelled(init).await {
            // Stopped while it initialised: it did not finish, so it is not cleaned up.
            None => break,
            Some(Ok(Ok(()))) => {
                initialised += 1;
                continue;
            }
            Some(Ok(Err(error))) => Cause::Error(error),
            Some(Err(payload)) => {
                Cause::Panicked(panic::capture(payload, Some(entry.name.clone()), entry.at))
            }
        };
        shared.fail(Failure::new(&entry.name, Phase::Initialize, cause), true);
        break;
    }
    initialised
}

const SHARED: &str = "the service is still shared with its execute (a goscope bug)";

/// The execute phase: every execute (the services', the execute-only tasks added so far
/// and those added meanwhile) as a task of one scope, until all have returned, or `ctx`
/// is cancelled and they have stopped (or the stop timeout aborted them).
async fn execute(
    shared: &Arc<Shared>,
    services: &[Entry],
    ctx: CancellationToken,
    stop_timeout: Duration,
) {
    let scope: Scope<'static, Error> = Scope::new();
    let idle = &shared.idle;
    let pending = {
        let mut stage = shared.stage.lock();
        let pending = match std::mem::replace(&mut *stage, Stage::Done) {
            Stage::Building(pending) => pending,
            _ => Vec::new(),
        };
        let live = Live {
            scope: scope.clone(),
            ctx: ctx.clone(),
            stop_timeout,
        };
        // Refused only if the scope was cancelled from outside meanwhile: the body
        // below sees that.
        for entry in services {
            let service = Arc::clone(&entry.service);
            let _ = live.start(shared, entry.name.clone(), entry.at, |ctx| {
                service.execute(ctx)
            });
        }
        let mut refused = Vec::new();
        for task in pending {
            if let Err(task) = live.start(shared, task.name, task.at, task.f) {
                refused.push(task);
            }
        }
        {
            let mut count = shared.count.lock();
            if count.running == 0 {
                count.accepting = false;
                idle.cancel();
            }
        }
        *stage = Stage::Running(live);
        refused
    };
    // Outside the lock: dropping a closure runs user code.
    drop(pending);
    let body = async {
        // Until a shutdown or failure cancels the executes, every execute has returned,
        // or the scope is cancelled from outside (an enclosing scope's cancellation).
        let (cancelled, all_returned) = (pin!(ctx.cancelled()), pin!(idle.cancelled()));
        let from_outside = pin!(scope.token().cancelled_owned());
        let _ = select(select(cancelled, all_returned), from_outside).await;
        shared.count.lock().accepting = false;
        ctx.cancel();
        if tokio::time::timeout(stop_timeout, idle.cancelled())
            .await
            .is_err()
        {
            // Aborts the executes still running; each one's drop reports it.
            scope.token().cancel();
        }
        Ok::<(), Error>(())
    };
    // The executes' tasks never fail the scope (their failures are recorded above), so
    // its only result is that they have all ended.
    let _ = scope::run(&scope, body).await;
}

/// Cleans up one initialised service, within `timeout`.
async fn cleanup(entry: &mut Entry, timeout: Duration) -> Option<Failure> {
    let Some(service) = Arc::get_mut(&mut entry.service) else {
        let cause = Cause::Error(SHARED.into());
        return Some(Failure::new(&entry.name, Phase::Cleanup, cause));
    };
    let clean = AssertUnwindSafe(async { service.cleanup().await }).catch_unwind();
    let cause = match tokio::time::timeout(timeout, clean).await {
        Ok(Ok(Ok(()))) => return None,
        Ok(Ok(Err(error))) => Cause::Error(error),
        Ok(Err(payload)) => {
            Cause::Panicked(panic::capture(payload, Some(entry.name.clone()), entry.at))
        }
        Err(_) => Cause::TimedOut(timeout),
    };
    Some(Failure::new(&entry.name, Phase::Cleanup, cause))
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

/// A cloneable handle to a [`Manager`]: adds execute-only tasks before or while it runs,
/// and shuts it down.
///
/// This `struct` is created by [`Manager::handle`].
///
/// # Examples
///
/// A task that starts another while the manager runs:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goscope::manager::Manager;
///
/// let mut manager = Manager::new();
/// let handle = manager.handle();
/// manager.add_execute("spawner", move |_ctx| async move {
///     let done = handle.clone();
///     handle.add_execute("job", move |_ctx| async move {
///         done.shutdown(); // the job is done: stop everything
///         Ok(())
///     })?;
///     Ok(())
/// });
/// assert!(manager.run().await.is_ok());
/// # }
/// ```
#[derive(Clone)]
pub struct ManagerHandle {
    shared: Arc<Shared>,
}

impl ManagerHandle {
    /// Adds an execute-only task, like [`Manager::add_execute`]: before the manager
    /// runs, it waits for the execute phase; during it, it starts at once, with a `ctx`
    /// that the next shutdown or failure cancels like the others'.
    ///
    /// # Errors
    ///
    /// [`AddError`] once the manager is stopping (a shutdown or a failure has cancelled
    /// the executes, or every execute has returned) or has finished — also when its
    /// initialise phase failed or was shut down. The task is dropped unstarted.
    ///
    /// # Panics
    ///
    /// During the execute phase, outside a Tokio runtime (the task is spawned at once).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let manager = goscope::manager::Manager::new();
    /// let handle = manager.handle();
    /// handle
    ///     .add_execute("warmup", |_ctx| async { Ok(()) })
    ///     .expect("the manager has not run yet");
    /// manager.run().await.unwrap();
    /// assert!(handle.add_execute("late", |_ctx| async { Ok(()) }).is_err());
    /// # }
    /// ```
    #[track_caller]
    pub fn add_execute<F, Fut>(
        &self,
        name: impl Into<Cow<'static, str>>,
        f: F,
    ) -> Result<(), AddError>
    where
        F: FnOnce(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        let name = name.into();
        let at = Location::caller();
        let mut stage = self.shared.stage.lock();
        let refused = match &mut *stage {
            Stage::Building(list) => {
                list.push(Pending {
                    name,
                    f: execute_fn(f),
                    at,
                });
                return Ok(());
            }
            Stage::Running(live) => match live.start(&self.shared, name, at, execute_fn(f)) {
                Ok(()) => return Ok(()),
                Err(refused) => refused,
            },
            Stage::Done => (name, execute_fn(f)),
        };
        // Dropped outside the lock: it is user code.
        drop(stage);
        drop(refused.1);
        Err(AddError {
            name: refused.0.into_owned(),
        })
    }

    /// Shuts the manager down: cancels its shutdown token.
    ///
    /// ```
    /// let manager = goscope::manager::Manager::new();
    /// manager.handle().shutdown();
    /// assert!(manager.shutdown_token().is_cancelled());
    /// ```
    pub fn shutdown(&self) {
        self.shared.shutdown.lock().cancel();
    }
}

impl fmt::Debug for ManagerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match &*self.shared.stage.lock() {
            Stage::Building(_) => "building",
            Stage::Running(_) if self.shared.count.lock().accepting => "running",
            Stage::Running(_) => "stopping",
            Stage::Done => "done",
        };
        f.debug_struct("ManagerHandle")
            .field("stage", &stage)
            .finish_non_exhaustive()
    }
}
