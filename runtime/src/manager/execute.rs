//! The execute phase: the state the manager shares with its handles and its executes'
//! tasks, the tasks themselves, and [`ManagerHandle`].

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::select;
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use super::BoxError;
use super::error::{AddError, Cause, Failure, ManagerError, Phase};
use super::run::{Entry, caught};
use super::service::{ExecuteFn, PhaseFuture, execute_fn};
use crate::Error;
use crate::scope::{self, Scope};

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
pub(super) struct Shared {
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
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Shared {
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
        })
    }

    pub(super) fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.lock().clone()
    }

    pub(super) fn set_shutdown_token(&self, token: CancellationToken) {
        *self.shutdown.lock() = token;
    }

    /// Queues an execute-only task for the execute phase (before `run`).
    pub(super) fn queue(
        &self,
        name: Cow<'static, str>,
        f: ExecuteFn,
        at: &'static Location<'static>,
    ) {
        if let Stage::Building(list) = &mut *self.stage.lock() {
            list.push(Pending { name, f, at });
        }
    }

    /// Every failure recorded, taken out.
    pub(super) fn take_failures(&self) -> ManagerError {
        std::mem::replace(
            &mut *self.failures.lock(),
            ManagerError {
                first: None,
                later: Vec::new(),
            },
        )
    }

    /// Records a failure: the first of an initialise or execute that stopped the manager
    /// (`stops`) is `first`; everything else goes to `later`, in order. Each failure is
    /// also an error event in `tracing`, as it happens.
    pub(super) fn fail(&self, failure: Failure, stops: bool) {
        // Before the lock: a subscriber is user code.
        tracing::error!(
            target: "goscope::manager",
            service = %failure.service,
            phase = %failure.phase,
            cause = %failure.cause,
            "service failed",
        );
        let mut failures = self.failures.lock();
        if stops && failures.first.is_none() && failures.later.is_empty() {
            failures.first = Some(failure);
        } else {
            failures.later.push(failure);
        }
    }

    pub(super) fn has_failed(&self) -> bool {
        self.failures.lock().first.is_some()
    }
}

impl Live {
    /// Starts one execute as a task of the scope, unless the manager is stopping. No user
    /// code runs here: the future is not polled yet.
    ///
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
        let cause = caught(fut, &self.name, at).await;
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
pub(super) struct Finish<'a>(pub(super) &'a Shared);

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        let old = std::mem::replace(&mut *self.0.stage.lock(), Stage::Done);
        // Outside the lock: dropping pending closures runs user code.
        drop(old);
    }
}

/// The execute phase: every execute (the services', the execute-only tasks added so far
/// and those added meanwhile) as a task of one scope, until all have returned, or `ctx`
/// is cancelled and they have stopped (or the stop timeout aborted them).
pub(super) async fn execute(
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

/// A cloneable handle to a [`Manager`](super::Manager): adds execute-only tasks before or while it runs,
/// and shuts it down.
///
/// This `struct` is created by [`Manager::handle`](super::Manager::handle).
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
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        ManagerHandle { shared }
    }

    /// Adds an execute-only task, like [`Manager::add_execute`](super::Manager::add_execute): before the manager
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
