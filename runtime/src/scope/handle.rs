//! [`Scope`], the handle a `scope!` body spawns with: its shared state, its options, and
//! the spawn family — `spawn_local` (a node in the set of local children), `spawn` and
//! `spawn_named` (a task of the scope's `JoinSet`), `spawn_blocking` and `adopt` (a
//! watcher of a [`Task`](crate::Task)).

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location};
use std::pin::{Pin, pin};
use std::sync::Arc as StdArc;
use std::task::Waker;

use futures_util::future::{Either, select};
use tokio_util::sync::CancellationToken;

use super::CURRENT;
use super::child::{Admission, Local, Outcome, Permit, Static, settle};
use super::failure::Failures;
use super::local_set::{self, Owned};
use super::run::scope_span;
use super::slot::{Cancel, Kind, ScopedTask, Slot};
use crate::error::Error;
use crate::loom::{self, Arc, AtomicBool, StdMutex, StdMutexGuard};
use crate::panic::{self, Unreceived};

/// A watcher of a blocking or adopted task, polled by the scope.
pub(super) type Watcher<'env> = Pin<Box<dyn Future<Output = ()> + Send + 'env>>;

/// A scope's handle: spawn children into it. Created by `scope!`.
///
/// Cloning gives another handle to the same scope (for a local child that spawns
/// grandchildren).
pub struct Scope<'env, E> {
    pub(super) inner: Arc<Inner<'env, E>>,
}

pub(super) struct Inner<'env, E> {
    /// The scope's token (the same one as `failures.token`: a clone here, in the handle's
    /// allocation, which the `'static` children's tasks do not touch, keeps the spawn
    /// path's token checks off the cache line whose count their tasks change).
    token: CancellationToken,
    /// The failure record and the scope's token, shared with the `'static` children.
    pub(super) failures: Arc<Failures<E>>,
    state: StdMutex<State<'env>>,
    /// The `'static` children's tasks; dropping the set aborts them.
    tasks: StdMutex<tokio::task::JoinSet<()>>,
    /// `limit = n`: a slot per running child, taken in spawn order.
    slots: Option<StdArc<tokio::sync::Semaphore>>,
    /// `timeout = d`: a deadline for the whole scope.
    pub(super) timeout: Option<std::time::Duration>,
    /// Where the local children's wakes go; the set of `run` polls it.
    pub(super) locals: StdArc<local_set::Queue<'env>>,
    /// `run` has started: a scope is run once (its set is the only one on `locals`).
    pub(super) ran: AtomicBool,
    /// The scope's `goscope.scope` span, when a subscriber wants it: `run` polls in it,
    /// and each child's `goscope.child` span is under it. (`AssertUnwindSafe`: a span is an
    /// id and a handle on the subscriber, with no invariant of ours for a panic to break;
    /// it keeps `Scope` unwind-safe.)
    pub(super) span: Option<AssertUnwindSafe<tracing::Span>>,
}

/// What `run` takes from the handle.
pub(super) struct State<'env> {
    /// Local children spawned since `run` last looked.
    pub(super) pending: Vec<Owned<'env>>,
    /// Watchers (of blocking and adopted tasks) spawned since `run` last looked.
    pub(super) watchers: Vec<Watcher<'env>>,
    /// `run`'s waker, to be told of new children.
    pub(super) waker: Option<Waker>,
}

impl<E> Clone for Scope<'_, E> {
    fn clone(&self) -> Self {
        Scope {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<'env, E> Scope<'env, E> {
    /// The failure record, which every failure of the scope goes through.
    pub(super) fn failures(&self) -> &Failures<E> {
        &self.inner.failures
    }

    /// The `'static` children's tasks.
    pub(super) fn tasks(&self) -> StdMutexGuard<'_, tokio::task::JoinSet<()>> {
        loom::lock(&self.inner.tasks)
    }

    /// What `run` takes from the handle. No user code runs under this lock: a poisoned one
    /// still holds consistent state.
    pub(super) fn state(&self) -> StdMutexGuard<'_, State<'env>> {
        loom::lock(&self.inner.state)
    }
}

impl<'env, E: Send + 'env> Scope<'env, E> {
    /// A new, empty scope; `scope!` makes one (through `__private::scope::new`) and runs its
    /// body with [`run`](super::run).
    #[track_caller]
    pub(crate) fn new() -> Self {
        panic::install_process_hook();
        // Nested in another scope (anywhere below it): cancelled with it.
        let token = CURRENT
            .try_with(|token| token.child_token())
            .unwrap_or_default();
        Scope {
            inner: Arc::new(Inner {
                failures: Arc::new(Failures::new(token.clone())),
                token,
                state: StdMutex::new(State {
                    pending: Vec::new(),
                    watchers: Vec::new(),
                    waker: None,
                }),
                tasks: StdMutex::new(tokio::task::JoinSet::new()),
                slots: None,
                timeout: None,
                locals: local_set::Queue::new(),
                ran: AtomicBool::new(false),
                span: scope_span(Location::caller()).map(AssertUnwindSafe),
            }),
        }
    }

    fn configure(mut self, f: impl FnOnce(&mut Inner<'env, E>)) -> Self {
        let inner = Arc::get_mut(&mut self.inner).expect("options are set before any spawn");
        f(inner);
        self
    }

    /// `timeout = d`: a deadline for the whole scope. When it passes, the body is dropped,
    /// every child is cancelled, and the scope returns `Error::TimedOut(d)` converted
    /// into `E`.
    pub(crate) fn timeout(self, duration: std::time::Duration) -> Self {
        self.configure(|inner| inner.timeout = Some(duration))
    }

    /// `limit = n`: at most `n` children run at once; the others wait for a slot, in the
    /// order they were spawned (and are dropped unstarted if the scope is cancelled
    /// meanwhile).
    ///
    /// # Panics
    ///
    /// If `n` is 0: no child could ever start.
    #[track_caller]
    pub(crate) fn limit(self, n: usize) -> Self {
        assert!(
            n > 0,
            "`scope!(limit = 0, …)`: no child could ever start; use at least 1"
        );
        self.configure(|inner| inner.slots = Some(StdArc::new(tokio::sync::Semaphore::new(n))))
    }

    /// `supervise`: no fail-fast. A child's failure stays in its handle and cancels
    /// nothing; the scope returns the body's result once every child is done.
    pub(crate) fn supervise(self) -> Self {
        self.configure(|inner| {
            Arc::get_mut(&mut inner.failures)
                .expect("options are set before any spawn")
                .supervise();
        })
    }

    /// A new `'static` or watched child's result slot (twice: the handle's and the
    /// child's), or, on a cancelled scope, its handle already resolved to
    /// `Err(Error::Cancelled)`: nothing starts. `kind`: how the child's handle cancels it.
    #[allow(clippy::type_complexity)]
    fn new_slot<T>(
        &self,
        kind: Kind,
    ) -> Result<(StdArc<Slot<T, E>>, StdArc<Slot<T, E>>), ScopedTask<T, E>>
    where
        T: Send + 'static,
        E: From<Error> + 'static,
    {
        let cancel = match kind {
            Kind::Polled => Cancel::flag(),
            Kind::Watched => Cancel::Token(self.token_ref().child_token()),
        };
        let slot = StdArc::new(Slot::new(cancel));
        if self.is_cancelled() {
            slot.finish(Err(Error::Cancelled.into()));
            return Err(ScopedTask::new(slot));
        }
        Ok((StdArc::clone(&slot), slot))
    }

    /// Waits for a `limit` slot, if the scope has a limit and the child is `limited`.
    fn slot(&self, limited: bool) -> impl Future<Output = Permit> + Send + 'static {
        let slots = self.inner.slots.clone().filter(|_| limited);
        async move {
            match slots {
                Some(slots) => slots.acquire_owned().await.ok(),
                None => None,
            }
        }
    }

    /// A child's `goscope.child` span, under the scope's; `None` when the scope has none
    /// (no subscriber wanted it), so a scope nobody traces makes no spans.
    fn child_span(
        &self,
        at: &'static Location<'static>,
        name: Option<&'static str>,
    ) -> Option<tracing::Span> {
        let scope = self.inner.span.as_ref()?;
        let span = tracing::debug_span!(
            target: "goscope",
            parent: &scope.0,
            "goscope.child",
            name,
            spawned_at = %at,
        );
        (!span.is_disabled()).then_some(span)
    }

    /// A new child's admission: free, or waiting for a `limit` slot.
    fn admission(&self) -> Admission {
        match &self.inner.slots {
            Some(_) => Admission::Waiting(Box::pin(self.slot(true))),
            None => Admission::Free,
        }
    }

    fn token_ref(&self) -> &CancellationToken {
        &self.inner.token
    }

    /// The scope's cancellation token: cancelled on the first failure, when the scope's
    /// future is dropped, or when an enclosing scope is cancelled. For blocking children
    /// and other libraries.
    pub fn token(&self) -> CancellationToken {
        self.token_ref().clone()
    }

    /// Whether the scope has been cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.token_ref().is_cancelled()
    }

    /// Queues a child for `run` to poll (a local child, or a watcher), and wakes `run`.
    fn push(&self, child: Result<Owned<'env>, Watcher<'env>>) {
        let waker = {
            let mut state = self.state();
            match child {
                Ok(local) => state.pending.push(local),
                Err(watcher) => state.watchers.push(watcher),
            }
            state.waker.clone()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// A child that borrows from the caller: polled by the scope's own future, in the
    /// calling task (concurrently with the body, not in parallel).
    ///
    /// The handle resolves to the child's own result; dropping it does not cancel the
    /// child ([`ScopedTask::cancel`] does).
    #[track_caller]
    pub fn spawn_local<T, F>(&self, fut: F) -> ScopedTask<T, E>
    where
        F: Future<Output = Result<T, E>> + Send + 'env,
        T: Send + 'env,
        E: From<Error>,
    {
        let cancelled = self.is_cancelled();
        let admission = if cancelled {
            Admission::Free
        } else {
            self.admission()
        };
        let at = Location::caller();
        let child = Local::new(fut, self.clone(), admission, at, self.child_span(at, None));
        // One allocation: the set's node, which holds the child and the handle's slot.
        let (owned, node) = self.inner.locals.node(child, Slot::new(Cancel::flag()));
        if cancelled {
            // Nothing starts: dropping the child settles its handle as cancelled.
            drop(owned);
        } else {
            self.push(Ok(owned));
        }
        ScopedTask::new(local_set::handle(node))
    }

    /// A `'static` child that runs in parallel, as a task on the Tokio runtime.
    ///
    /// Cancelling the scope cancels the task (it stops at its next `.await`) and waits
    /// until it has stopped. `spawn` takes a future and spawns it; to make a running
    /// [`Task`](crate::Task) — what a `#[go]` function returns — a child, adopt it with
    /// [`Scope::adopt`].
    ///
    /// The future must own what it uses (`'static`): a future that borrows from the
    /// caller fails to compile with "borrowed value does not live long enough … argument
    /// requires that `x` is borrowed for `'static`". Use [`Scope::spawn_local`] for it, or
    /// move the data in (`async move`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goscope::{Error, scope};
    ///
    /// async fn fetch_user(id: u64) -> Result<String, Error> {
    ///     Ok(format!("user-{id}"))
    /// }
    ///
    /// let names = vec!["ada".to_owned()];
    /// let out: Result<_, Error> = scope!(|s| {
    ///     let user = s.spawn(fetch_user(1));
    ///     let owned = names.clone();
    ///     let count = s.spawn(async move { Ok(owned.len()) }); // owns its data
    ///     Ok((user.await?, count.await?))
    /// });
    /// assert_eq!(out.unwrap(), ("user-1".to_owned(), 1));
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn<T, F>(&self, fut: F) -> ScopedTask<T, E>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + 'static,
    {
        self.spawn_static(fut, Location::caller(), None)
    }

    /// [`Scope::spawn`], with a name: the child's `goscope.child` span carries it, and so
    /// does its [`PanicError`](crate::PanicError) if it panics.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goscope::{Error, scope};
    ///
    /// let out: Result<(), Error> = scope!(|s| {
    ///     s.spawn_named("billing.charge", async {
    ///         let declined = true;
    ///         if declined {
    ///             panic!("card declined");
    ///         }
    ///         Ok(())
    ///     });
    ///     Ok(())
    /// });
    /// let panic = out.unwrap_err().into_panic().unwrap();
    /// assert_eq!(panic.task_name(), Some("billing.charge"));
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_named<T, F>(&self, name: &'static str, fut: F) -> ScopedTask<T, E>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + 'static,
    {
        self.spawn_static(fut, Location::caller(), Some(name))
    }

    fn spawn_static<T, F>(
        &self,
        fut: F,
        at: &'static Location<'static>,
        name: Option<&'static str>,
    ) -> ScopedTask<T, E>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + 'static,
    {
        let (slot, theirs) = match self.new_slot(Kind::Polled) {
            Ok(slots) => slots,
            Err(cancelled) => return cancelled,
        };
        // Made here, not in the task, so that a task aborted before its first poll settles
        // its slot too (the wrapper's drop does it).
        let failures = Arc::clone(&self.inner.failures);
        let child = Static::new(fut, theirs, failures, self.admission(), at, name);
        let was_empty = {
            let mut tasks = self.tasks();
            let was_empty = tasks.is_empty();
            // The handle cancels the task through its slot's flag, not by aborting it:
            // the abort handle would need a once-cell in the slot (made before the task).
            match self.child_span(at, name) {
                None => drop(tasks.spawn(child)),
                Some(span) => drop(tasks.spawn(tracing::Instrument::instrument(child, span))),
            }
            was_empty
        };
        // `run` polls the task set. A set with tasks already wakes it when one of them
        // finishes (its last poll saw them, and left its waker with the set), or `run`
        // was woken when the set got its first and has not looked yet: only a first task
        // needs a wake, for `run` to look at the set again.
        if was_empty {
            let waker = self.state().waker.clone();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
        ScopedTask::new(slot)
    }

    /// A blocking child on Tokio's blocking pool. It sees cancellation only through
    /// [`Scope::token`] (clone it into the closure).
    #[track_caller]
    pub fn spawn_blocking<T, F>(&self, f: F) -> ScopedTask<T, E>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + 'static,
    {
        self.watch(
            true,
            move || crate::task::go_blocking(f),
            |result| match result {
                Ok(Ok(value)) => Outcome::Ok(value),
                Ok(Err(error)) => Outcome::Failed(error, Unreceived::NONE),
                Err(error) => Outcome::from_task_error(error),
            },
        )
    }

    /// Makes a running [`Task`](crate::Task) — what a `#[go]` function returns — a child
    /// of this scope, whatever the scope's error type: the task's `Error` is converted
    /// into `E`. It is the one way to adopt a task: [`Scope::spawn`] of a `Task` is a new
    /// child that awaits it like any future (it takes a `limit` slot, and cancelling it
    /// drops the task, which cancels the task without waiting for it to stop).
    ///
    /// The scope owns it from now on: cancelling the scope cancels the task and waits for
    /// it to stop; its panic is the scope's failure. It is already running, so it takes no
    /// `limit` slot.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goscope::{Error, go, scope};
    ///
    /// #[derive(Debug)]
    /// enum AppError { Runtime(Error) }
    /// impl From<Error> for AppError {
    ///     fn from(e: Error) -> Self { AppError::Runtime(e) }
    /// }
    ///
    /// #[go]
    /// async fn fetch_user(id: u64) -> String {
    ///     format!("user-{id}")
    /// }
    ///
    /// let user: Result<String, AppError> = scope!(|s| {
    ///     let user = s.adopt(fetch_user(1));
    ///     Ok(user.await?)
    /// });
    /// assert_eq!(user.unwrap(), "user-1");
    /// # }
    /// ```
    pub fn adopt<T>(&self, task: crate::Task<T>) -> ScopedTask<T, E>
    where
        T: Send + 'static,
        E: From<Error> + 'static,
    {
        self.watch(
            false,
            move || task,
            |result| match result {
                Ok(value) => Outcome::Ok(value),
                Err(error) => Outcome::from_task_error(error),
            },
        )
    }

    /// Makes a task a child: a watcher in the scope's set starts it (once a `limit` slot
    /// is free, if `limited`), awaits it, and cancels it (then waits for it to stop) if the
    /// child or the scope is cancelled. A child cancelled before it started never starts.
    fn watch<T, U, S>(
        &self,
        limited: bool,
        start: S,
        outcome: fn(Result<U, Error>) -> Outcome<T, E>,
    ) -> ScopedTask<T, E>
    where
        S: FnOnce() -> crate::Task<U> + Send + 'static,
        U: Send + 'static,
        T: Send + 'static,
        E: From<Error> + 'static,
    {
        let (slot, theirs) = match self.new_slot(Kind::Watched) {
            Ok(slots) => slots,
            Err(cancelled) => return cancelled,
        };
        let failures = Arc::clone(&self.inner.failures);
        let slot_wait = self.slot(limited);
        self.push(Err(Box::pin(async move {
            let permit = match select(pin!(theirs.token().cancelled()), pin!(slot_wait)).await {
                Either::Left(_) => None,
                Either::Right((permit, _)) => Some(permit),
            };
            let Some(permit) = permit else {
                settle(&theirs, Outcome::Cancelled, &failures);
                return;
            };
            let mut task = start();
            task.keep_unreceived();
            let outcome = match select(pin!(theirs.token().cancelled()), &mut task).await {
                Either::Left(_) => {
                    task.cancel();
                    // Wait for it to stop: nothing outlives the scope.
                    let _ = (&mut task).await;
                    Outcome::Cancelled
                }
                Either::Right((result, _)) => outcome(result),
            };
            drop(permit);
            settle(&theirs, outcome, &failures);
        })));
        ScopedTask::new(slot)
    }
}

impl<E> fmt::Debug for Scope<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("cancelled", &self.inner.token.is_cancelled())
            .finish_non_exhaustive()
    }
}
