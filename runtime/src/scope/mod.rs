//! Structured concurrency: a [`Scope`] owns its children, and the `scope!` block that
//! created it returns only once every child has finished or been cancelled and dropped.
//!
//! # Design
//!
//! A scope is a cheap handle (`Arc`) to shared state: a cancellation token, the children
//! waiting to be started, the first failure. [`run`] polls, in the calling task, the
//! body of the scope and every local child, in a set of our own (below), and the watchers
//! in a `FuturesUnordered`:
//!
//! - `spawn_local` children are futures in that set: they may borrow anything that
//!   outlives the scope, and run concurrently with the body but not in parallel. Each is
//!   one allocation, a node of the set holding the future, its `limit` admission and the
//!   handle's slot; it needs no token: the scope cancels its local children by dropping
//!   their futures (which settles the handles as cancelled), a handle by a flag the node
//!   checks at every poll.
//! - `spawn` children are tasks in a `JoinSet` the scope owns, in parallel. Each task fills
//!   its own result slot and reports its own failure (to a `'static` mailbox: the scope's
//!   other state borrows `'env`); `run` polls the set until it is empty, and aborts it
//!   when the scope is cancelled. A guard in each task settles its slot as cancelled if
//!   the task is dropped unfinished; a task cancelled before it started never starts.
//! - `spawn_blocking` children are blocking-pool tasks watched from the set of local
//!   children; they see cancellation only through [`Scope::token`].
//! - An adopted [`Task`](crate::Task) (`s.adopt(task)`, or `s.spawn(task)` when the error
//!   type is `goscope::Error`: `spawn` recognises a `Task` by its type) is watched the same
//!   way: on cancellation it is cancelled and awaited until it has stopped.
//!
//! Dropping the `run` future drops the set of local children and aborts the `JoinSet`
//! (its guard does both), so nothing a scope started outlives it, on every path.
//!
//! ## The scoped-task trilemma
//!
//! A scoped task can have at most two of: running in parallel, borrowing from the caller,
//! and being safe without blocking a thread (the future that holds the borrow may be
//! forgotten, so a parallel task must not hold one). Each spawn method takes a side:
//! `spawn` runs in parallel and so requires `'static`; `spawn_local` borrows and so is
//! polled by the scope's own future, in the caller's task; neither needs `unsafe` nor
//! blocks a thread. A `spawn_local` child cannot borrow the scope handle itself (that would
//! be a self-borrow the scope's destructor makes unsound without `unsafe`): it takes a
//! clone, `let s = s.clone();`.
//!
//! ## The set of local children (`local_set`)
//!
//! A local child is one `Arc`'d node: a header (`queued`, its index in the set), the
//! scope's ready queue (an `Arc`), the part its handle shares (the slot), and the child
//! itself (the future, its admission, a clone of the scope) in an `UnsafeCell`, with a
//! `live` flag. The handle holds the same `Arc`, seen as `dyn HasSlot<T, E>`; the set holds
//! it as `dyn Polled`. That is what `FuturesUnordered` and tokio's `JoinSet` do (a task is
//! a refcounted cell that is its own waker and is pushed to a ready queue when woken),
//! with the result slot in the same allocation, and simpler: the ready queue is a
//! `VecDeque` of `Arc`s behind a lock, taken whole by the set at each pass (no intrusive
//! list), and the set's list of all its nodes is a `Vec` (each node knows its index).
//!
//! - Ownership: each node has exactly one `Owned`, made with it. Only the holder of the
//!   `Owned` polls the child or drops it (`Polled::poll`, `Polled::drop_child`); dropping
//!   the `Owned` drops the child, if still live (the handle is settled as cancelled
//!   first). The `Owned` waits in the scope's `pending` list, then lives in the set's
//!   `all` until the child finishes or the set is cleared or dropped. So the child is
//!   touched by one owner at a time, never concurrently (the owner is `&mut`), and is
//!   always dropped while the scope's `run` (or the scope, for a child never started)
//!   still exists — before `'env` ends, unless that owner is leaked, and then the child
//!   is leaked with it, never dropped late.
//! - Pinning: the child lives in its node's allocation from creation to drop, never moved:
//!   polled through `Pin::new_unchecked`, dropped in place (`ManuallyDrop::drop`, after
//!   `live` is cleared, so a panicking destructor is not run twice).
//! - Waking: the node's waker is the node (an `Arc` count: a raw waker whose vtable is per
//!   node type). A wake sets `queued`; the one that set it pushes a clone of the node to
//!   the ready queue and wakes `run`'s waker. The set clears `queued` (`swap`, acquiring
//!   what the waker wrote) before each poll of the child, so a wake during or after the
//!   poll queues it again. The ready queue is per scope and a scope is run once, so a node
//!   in a queue belongs to the one set polling that queue. An entry whose child is no
//!   longer live (finished, or dropped) is stale and skipped.
//! - Lifetimes: a node may outlive `'env` (its handle, a waker held elsewhere, a queue
//!   entry); after its child is dropped nothing in it borrows `'env` any more, and its
//!   own drop drops only the slot (what the handle's type `ScopedTask<T, E>` carries) and
//!   the queue, which the set closed and emptied when it was dropped (a later wake does
//!   not push). That is why the handle may hold the node as `dyn HasSlot<T, E> + 'static`
//!   (a lifetime erased with `unsafe`): through it only the slot is reached.
//! - Fairness: the set polls at most as many children as it holds in one `poll` (and at
//!   least one), then, if some are still ready, wakes `run` and returns `Pending`, as
//!   `FuturesUnordered` does: a child that wakes itself cannot starve the body or the
//!   other children. A child woken while the set is polling waits for the next batch.
//!
//! ## Invariants
//!
//! 1. `run` returns only when the body is done and the set of children is empty (nothing
//!    pending either): every child finished, or was cancelled and dropped.
//! 2. The first failure — a child's `Err`, a child's panic, the body's `Err` — cancels the
//!    scope's token; `run` then aborts the `'static` tasks, drops the local children, and
//!    the watchers' tokens (children of the scope's) cancel their tasks.
//!    Children cancelled that way end with `Error::Cancelled`, which is never a failure.
//!    The body is cancelled too (dropped at its `.await`) — unless, in the one poll it is
//!    given after the failure, it took the failing child's error by awaiting its handle:
//!    then the body owns that error and runs on, and its result is the scope's.
//! 3. After the first failure nothing starts: `spawn` on a cancelled scope returns a
//!    handle already resolved to `Err(Error::Cancelled)`.
//! 4. The error `run` returns is the primary one: the first child's error if it is still
//!    in that child's slot; if the body took it by awaiting the child's handle, the body
//!    had it, and the scope returns what the body returned.
//! 5. A panic in a child is captured where it happens, shown to the panic hook at once,
//!    and becomes `Error::Panicked` converted into `E`. Its tracing report
//!    (`panic::Unreceived`) is kept beside the error in the child's slot: delivered (DEBUG)
//!    when the handle or the scope's result takes the error, told at ERROR if the slot is
//!    dropped with it still there (a panic after the first failure that no handle took, a
//!    supervised child whose handle was dropped).
//! 6. Tracing: `run` polls in the scope's `goscope.scope` span (with where the scope is);
//!    each local and `'static` child runs in a `goscope.child` span under it, with its
//!    spawn location. With no subscriber, no span is made.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, Location};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use futures_util::future::{Either, select};
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::task::AtomicWaker;
use tokio_util::sync::CancellationToken;

use crate::error::Error;
use crate::panic::{self, Unreceived, catch};

mod local_set;
mod run;
mod typed;

pub use run::run;
use run::scope_span;
pub use typed::{Handle, ScopeError, typed};

use local_set::{LocalSet, Owned, Shares};

/// A watcher of a blocking or adopted task, polled by the scope.
type Watcher<'env> = Pin<Box<dyn Future<Output = ()> + Send + 'env>>;

tokio::task_local! {
    /// The token of the innermost scope the running code belongs to: set while a scope
    /// polls its body and local children, and for the whole life of its `'static`
    /// children's tasks. A new scope's token is a child of it, so cancelling a scope
    /// cancels every scope nested in it, at any depth, with no token passed by hand.
    ///
    /// Shared (`Arc`): it is set around every poll of a `'static` child, and cloning a
    /// token takes its tree's lock.
    pub(crate) static CURRENT: Arc<CancellationToken>;
}

/// Resolves when the scope the calling code runs in is cancelled (its first failure, its
/// future dropped, an enclosing scope cancelled); never, outside any scope.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use goscope::{Error, scope};
///
/// let out: Result<(), Error> = scope!(|s| {
///     s.spawn(async {
///         goscope::cancelled().await; // a child that stops when told
///         Ok(())
///     });
///     s.spawn(async { Err::<(), _>(Error::TimedOut(Duration::from_secs(1))) }); // fails
///     Ok(())
/// });
/// assert!(matches!(out, Err(Error::TimedOut(_))));
/// # }
/// ```
pub async fn cancelled() {
    match CURRENT.try_with(|token| CancellationToken::clone(token)) {
        Ok(token) => token.cancelled_owned().await,
        Err(_) => std::future::pending().await,
    }
}

/// Takes the primary failure's error out of its child's slot, if it is still there.
type TakeError<'env, E> = Box<dyn FnOnce() -> Option<E> + Send + 'env>;

/// A scope's handle: spawn children into it. Created by `scope!`.
///
/// Cloning gives another handle to the same scope (for a local child that spawns
/// grandchildren).
pub struct Scope<'env, E> {
    inner: Arc<Inner<'env, E>>,
}

struct Inner<'env, E> {
    token: CancellationToken,
    state: Mutex<State<'env, E>>,
    /// The `'static` children's tasks; dropping the set aborts them.
    tasks: Mutex<tokio::task::JoinSet<()>>,
    /// Where `'static` children report their failures (they cannot reach `state`, which
    /// borrows `'env`), and the order of all failures.
    mailbox: Arc<Mailbox<E>>,
    /// `limit = n`: a slot per running child, taken in spawn order.
    slots: Option<Arc<tokio::sync::Semaphore>>,
    /// `supervise`: failures stay in their handles and cancel nothing.
    supervise: bool,
    /// `timeout = d`: a deadline for the whole scope.
    timeout: Option<std::time::Duration>,
    /// Where the local children's wakes go; the set of `run` polls it.
    locals: Arc<local_set::Queue<'env>>,
    /// `run` has started: a scope is run once (its set is the only one on `locals`).
    ran: AtomicBool,
    /// The scope's `goscope.scope` span, when a subscriber wants it: `run` polls in it,
    /// and each child's `goscope.child` span is under it. (`AssertUnwindSafe`: a span is an
    /// id and a handle on the subscriber, with no invariant of ours for a panic to break;
    /// it keeps `Scope` unwind-safe.)
    span: Option<AssertUnwindSafe<tracing::Span>>,
}

struct State<'env, E> {
    /// Local children spawned since `run` last looked.
    pending: Vec<Owned<'env>>,
    /// Watchers (of blocking and adopted tasks) spawned since `run` last looked.
    watchers: Vec<Watcher<'env>>,
    /// `run`'s waker, to be told of new children.
    waker: Option<Waker>,
    primary: Primary<'env, E>,
    /// The order of `primary` among all failures.
    primary_order: u64,
}

enum Primary<'env, E> {
    None,
    Body,
    Child(TakeError<'env, E>),
    /// The deadline passed: `Error::TimedOut` converted into `E`.
    TimedOut(E),
}

/// Takes a `'static` child's error out of its slot, if it is still there.
type TakeStaticError<E> = Box<dyn FnOnce() -> Option<E> + Send>;

/// The failures of `'static` children, shared with their tasks.
struct Mailbox<E> {
    /// Orders every failure of the scope (body, local and `'static` children, deadline),
    /// so that the first one wins wherever it was recorded.
    order: std::sync::atomic::AtomicU64,
    /// The first `'static` child failure: its order and how to take its error.
    first: Mutex<Option<(u64, TakeStaticError<E>)>>,
    supervise: std::sync::atomic::AtomicBool,
    /// The scope's token, for its `'static` children: whether they may start, what they
    /// cancel on failure, and `CURRENT` while they are polled.
    token: Arc<CancellationToken>,
}

impl<E> Mailbox<E> {
    fn next(&self) -> u64 {
        self.order
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }
}

impl<E> Clone for Scope<'_, E> {
    fn clone(&self) -> Self {
        Scope {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<'env, E: Send + 'env> Scope<'env, E> {
    /// A new, empty scope; `scope!` makes one (through `__private::scope::new`) and runs its
    /// body with [`run`].
    #[track_caller]
    pub(crate) fn new() -> Self {
        panic::install_process_hook();
        // Nested in another scope (anywhere below it): cancelled with it.
        let token = CURRENT
            .try_with(|token| token.child_token())
            .unwrap_or_default();
        let shared = Arc::new(token.clone());
        Scope {
            inner: Arc::new(Inner {
                token,
                state: Mutex::new(State {
                    pending: Vec::new(),
                    watchers: Vec::new(),
                    waker: None,
                    primary: Primary::None,
                    primary_order: u64::MAX,
                }),
                tasks: Mutex::new(tokio::task::JoinSet::new()),
                mailbox: Arc::new(Mailbox {
                    order: std::sync::atomic::AtomicU64::new(0),
                    first: Mutex::new(None),
                    supervise: std::sync::atomic::AtomicBool::new(false),
                    token: shared,
                }),
                slots: None,
                supervise: false,
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
        self.configure(|inner| inner.slots = Some(Arc::new(tokio::sync::Semaphore::new(n))))
    }

    /// `supervise`: no fail-fast. A child's failure stays in its handle and cancels
    /// nothing; the scope returns the body's result once every child is done.
    pub(crate) fn supervise(self) -> Self {
        self.configure(|inner| {
            inner.supervise = true;
            inner
                .mailbox
                .supervise
                .store(true, std::sync::atomic::Ordering::Relaxed);
        })
    }

    /// A new `'static` or watched child's result slot (twice: the handle's and the
    /// child's), or, on a cancelled scope, its handle already resolved to
    /// `Err(Error::Cancelled)`: nothing starts. `kind`: how the child's handle cancels it.
    #[allow(clippy::type_complexity)]
    fn new_slot<T>(
        &self,
        kind: Kind,
    ) -> Result<(Arc<Slot<T, E>>, Arc<Slot<T, E>>), ScopedTask<T, E>>
    where
        T: Send + 'static,
        E: From<Error> + 'static,
    {
        let cancel = match kind {
            Kind::Polled => Cancel::flag(),
            Kind::Watched => Cancel::Token(self.inner.token.child_token()),
        };
        let slot = Arc::new(Slot::new(cancel));
        if self.is_cancelled() {
            slot.finish(Err(Error::Cancelled.into()));
            return Err(ScopedTask { slot });
        }
        Ok((Arc::clone(&slot), slot))
    }

    /// Waits for a `limit` slot, if the scope has a limit and the child is `limited`.
    fn slot(
        &self,
        limited: bool,
    ) -> impl Future<Output = Option<tokio::sync::OwnedSemaphorePermit>> + Send + 'static {
        let slots = self.inner.slots.clone().filter(|_| limited);
        async move {
            match slots {
                Some(slots) => slots.acquire_owned().await.ok(),
                None => None,
            }
        }
    }

    /// A new child's admission: free, or waiting for a `limit` slot.
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

    fn admission(&self) -> Admission {
        match &self.inner.slots {
            Some(_) => Admission::Waiting(Box::pin(self.slot(true))),
            None => Admission::Free,
        }
    }

    /// The scope's cancellation token: cancelled on the first failure, when the scope's
    /// future is dropped, or when an enclosing scope is cancelled. For blocking children
    /// and other libraries.
    pub fn token(&self) -> CancellationToken {
        self.inner.token.clone()
    }

    /// Whether the scope has been cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.inner.token.is_cancelled()
    }

    fn tasks(&self) -> std::sync::MutexGuard<'_, tokio::task::JoinSet<()>> {
        self.inner
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State<'env, E>> {
        // No user code runs under this lock: a poisoned one still holds consistent state.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
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

    /// A failure: the first one becomes the primary, and cancels the scope (not in a
    /// supervising scope, where a child's failure stays in its handle).
    fn fail(&self, primary: Primary<'env, E>) {
        if self.inner.supervise && !matches!(primary, Primary::TimedOut(_)) {
            return;
        }
        let order = self.inner.mailbox.next();
        {
            let mut state = self.state();
            if matches!(state.primary, Primary::None) {
                state.primary = primary;
                state.primary_order = order;
            }
        }
        self.inner.token.cancel();
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
        let child = Local {
            fut,
            scope: self.clone(),
            admission: if cancelled {
                Admission::Free
            } else {
                self.admission()
            },
            at: Location::caller(),
            span: self.child_span(Location::caller(), None),
            _result: PhantomData,
        };
        // One allocation: the set's node, which holds the child and the handle's slot.
        let (owned, node) = self.inner.locals.node(child, Slot::new(Cancel::flag()));
        if cancelled {
            // Nothing starts: dropping the child settles its handle as cancelled.
            drop(owned);
        } else {
            self.push(Ok(owned));
        }
        ScopedTask {
            slot: local_set::handle(node),
        }
    }

    /// A `'static` child that runs in parallel, as a task on the Tokio runtime.
    ///
    /// Cancelling the scope cancels the task (it stops at its next `.await`) and waits
    /// until it has stopped. Given a running [`Task`](crate::Task) — what a `#[go]`
    /// function returns — `spawn` adopts it ([`Scope::adopt`]); that compiles when the
    /// scope's error type is `goscope::Error`, the task's own, and `s.adopt(task)` works
    /// for any `E: From<goscope::Error>`.
    ///
    /// The future must own what it uses (`'static`): a future that borrows from the
    /// caller fails to compile with "borrowed value does not live long enough … argument
    /// requires that `x` is borrowed for `'static`". Use [`Scope::spawn_local`] for it, or
    /// move the data in (`async move`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use goscope::{Error, go, scope};
    ///
    /// #[go]
    /// async fn fetch_user(id: u64) -> String {
    ///     format!("user-{id}")
    /// }
    ///
    /// let names = vec!["ada".to_owned()];
    /// let out: Result<_, Error> = scope!(|s| {
    ///     let user = s.spawn(fetch_user(1)); // adopts the running task
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
        // A `Task` (a `#[go]` call, `goscope::go(…)`) is already running: adopt it rather
        // than wrap it, so that cancelling the scope also waits for it to stop.
        let mut fut = Some(fut);
        if let Some(task) =
            (&mut fut as &mut dyn std::any::Any).downcast_mut::<Option<crate::Task<T>>>()
        {
            let task = task.take().expect("the future was just put there");
            return self.adopt(task);
        }
        let fut = fut.expect("the future is still there");
        let (slot, theirs) = match self.new_slot(Kind::Polled) {
            Ok(slots) => slots,
            Err(cancelled) => return cancelled,
        };
        // Made here, not in the task, so that a task aborted before its first poll settles
        // its slot too (the wrapper's drop does it).
        let child = Static {
            fut,
            slot: Some(theirs),
            mailbox: Arc::clone(&self.inner.mailbox),
            admission: self.admission(),
            started: false,
            at,
            name,
        };
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
        ScopedTask { slot }
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
    /// into `E`. `s.spawn(task)` does the same when `E` is [`goscope::Error`](Error).
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
        let scope = self.clone();
        let slot_wait = self.slot(limited);
        self.push(Err(Box::pin(async move {
            let permit = match select(pin!(theirs.token().cancelled()), pin!(slot_wait)).await {
                Either::Left(_) => None,
                Either::Right((permit, _)) => Some(permit),
            };
            let Some(permit) = permit else {
                settle(&theirs, Outcome::Cancelled, &scope);
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
            settle(&theirs, outcome, &scope);
        })));
        ScopedTask { slot }
    }
}

impl<E> fmt::Debug for Scope<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("cancelled", &self.inner.token.is_cancelled())
            .finish_non_exhaustive()
    }
}

/// How a child ended.
enum Outcome<T, E> {
    Ok(T),
    /// Its own `Err`, or its panic: a failure of the scope. A panic's report is owed
    /// until its error is delivered (`panic::Unreceived`); it is kept beside the error.
    Failed(E, Unreceived),
    /// Cancelled (by its handle, or by the scope): not a failure.
    Cancelled,
}

impl<T, E: From<Error>> Outcome<T, E> {
    /// A watched task's own error: cancelled (through its handle) is not a failure.
    fn from_task_error(error: Error) -> Self {
        match error {
            Error::Cancelled => Outcome::Cancelled,
            Error::Panicked(mut panic) => {
                let unreceived = panic.take_unreceived();
                Outcome::Failed(Error::Panicked(panic).into(), unreceived)
            }
            error => Outcome::Failed(error.into(), Unreceived::NONE),
        }
    }
}

/// The kinds of child with a slot of their own, by how a handle cancels them. (A local
/// child's slot is in its node, with a flag: `Cancel::flag`.)
#[derive(Clone, Copy)]
enum Kind {
    /// `spawn`: the task's wrapper polls the child's future, and checks the flag.
    Polled,
    /// A watched task: `spawn_blocking`, `adopt`.
    Watched,
}

/// How a child's handle cancels it.
enum Cancel {
    /// A local or `'static` child: a flag its wrapper checks at every poll, and the
    /// wrapper's waker. (The scope itself cancels local children by dropping them, and
    /// `'static` ones by aborting its `JoinSet`: they need no token.)
    Flag {
        cancelled: AtomicBool,
        waker: AtomicWaker,
    },
    /// A watched task: a token of its own, a child of the scope's.
    Token(CancellationToken),
}

impl Cancel {
    fn flag() -> Self {
        Cancel::Flag {
            cancelled: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        }
    }
}

/// Where a child's result waits for its handle.
struct Slot<T, E> {
    cancel: Cancel,
    state: Mutex<SlotState<T, E>>,
}

enum SlotState<T, E> {
    Running(Option<Waker>),
    /// The result, and the report owed if nobody takes the panic in it.
    Done(Result<T, E>, Unreceived),
    Taken,
}

impl<T, E> Slot<T, E> {
    fn new(cancel: Cancel) -> Self {
        Slot {
            cancel,
            state: Mutex::new(SlotState::Running(None)),
        }
    }

    /// A watched child's token (every watched slot has one).
    fn token(&self) -> &CancellationToken {
        match &self.cancel {
            Cancel::Token(token) => token,
            _ => unreachable!("a watched child has its own token"),
        }
    }

    /// Cancels the child (from its handle).
    fn cancel(&self) {
        match &self.cancel {
            Cancel::Flag { cancelled, waker } => {
                cancelled.store(true, Ordering::Release);
                waker.wake();
            }
            Cancel::Token(token) => token.cancel(),
        }
    }

    /// Where the handle's `cancel` wakes a polled child's wrapper (which checked the flag
    /// before it polled the child: a `cancel` since then, which found no waker to wake,
    /// is seen here).
    fn register(&self, waker: &Waker) {
        if let Cancel::Flag {
            cancelled,
            waker: cell,
        } = &self.cancel
        {
            cell.register(waker);
            if cancelled.load(Ordering::Acquire) {
                waker.wake_by_ref();
            }
        }
    }

    /// Whether the child's handle cancelled it (as far as the slot knows).
    fn is_cancelled(&self) -> bool {
        match &self.cancel {
            Cancel::Flag { cancelled, .. } => cancelled.load(Ordering::Acquire),
            Cancel::Token(token) => token.is_cancelled(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SlotState<T, E>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn finish(&self, result: Result<T, E>) {
        self.finish_owing(result, Unreceived::NONE);
    }

    /// Finishes with `result`, and the report owed if nobody takes its panic.
    fn finish_owing(&self, result: Result<T, E>, unreceived: Unreceived) {
        // Nothing to cancel any more: let go of the wrapper's waker (a local child's is
        // its node, which holds this slot: keeping it would keep the node).
        if let Cancel::Flag { waker, .. } = &self.cancel {
            drop(waker.take());
        }
        let done = SlotState::Done(result, unreceived);
        let previous = std::mem::replace(&mut *self.lock(), done);
        if let SlotState::Running(Some(waker)) = previous {
            waker.wake();
        }
    }

    /// The child's error, if it is still here (its handle did not take it).
    fn take_error(&self) -> Option<E> {
        let mut state = self.lock();
        match std::mem::replace(&mut *state, SlotState::Taken) {
            SlotState::Done(Err(error), unreceived) => {
                unreceived.received(); // the scope's primary: returned by `run`
                Some(error)
            }
            other => {
                *state = other;
                None
            }
        }
    }
}

impl<T: Send, E: Send> Shares<Slot<T, E>> for Slot<T, E> {
    fn shared(&self) -> &Slot<T, E> {
        self
    }
}

/// Stores a child's outcome in its slot (in `holder`: the slot itself, or a local child's
/// node); a failure becomes the scope's (primary, if first).
fn settle<'env, T, E, H>(holder: &Arc<H>, outcome: Outcome<T, E>, scope: &Scope<'env, E>)
where
    H: Shares<Slot<T, E>> + 'env,
    T: Send + 'env,
    E: From<Error> + Send + 'env,
{
    let slot = holder.shared();
    match outcome {
        Outcome::Ok(value) => slot.finish(Ok(value)),
        Outcome::Cancelled => slot.finish(Err(Error::Cancelled.into())),
        Outcome::Failed(error, unreceived) => {
            slot.finish_owing(Err(error), unreceived);
            let holder = Arc::clone(holder);
            scope.fail(Primary::Child(Box::new(move || {
                holder.shared().take_error()
            })));
        }
    }
}

impl<T: Send + 'static, E: From<Error> + Send + 'static> Slot<T, E> {
    /// A `'static` child's outcome, from its own task: a failure goes to the mailbox
    /// (first one kept) and cancels the scope, unless it supervises.
    fn settle_static(self: Arc<Self>, outcome: Outcome<T, E>, mailbox: &Mailbox<E>) {
        match outcome {
            Outcome::Ok(value) => self.finish(Ok(value)),
            Outcome::Cancelled => self.finish(Err(Error::Cancelled.into())),
            Outcome::Failed(error, unreceived) => {
                self.finish_owing(Err(error), unreceived);
                if mailbox.supervise.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                let order = mailbox.next();
                {
                    let mut first = mailbox.first.lock().unwrap_or_else(PoisonError::into_inner);
                    if first.is_none() {
                        let slot = Arc::clone(&self);
                        *first = Some((order, Box::new(move || slot.take_error())));
                    }
                }
                mailbox.token.cancel();
            }
        }
    }
}

/// A child of a [`Scope`]: await it for the child's own result.
///
/// This `struct` is created by [`Scope::spawn`], [`Scope::spawn_local`] and
/// [`Scope::spawn_blocking`]. Unlike a [`Task`](crate::Task), dropping it does not cancel
/// the child: the scope owns its children. Cancel-safe: dropping the awaiting future
/// leaves the result for another await. (Not `#[must_use]`: the child runs whether or not
/// its handle is awaited.)
pub struct ScopedTask<T, E> {
    /// The child's slot: on its own, or in a local child's node.
    slot: Arc<dyn Shares<Slot<T, E>>>,
}

impl<T, E> ScopedTask<T, E> {
    fn slot(&self) -> &Slot<T, E> {
        self.slot.shared()
    }

    /// Cancels this child: it is dropped at its next `.await` (a `'static` child's task is
    /// cancelled) and its handle resolves to `Err(Error::Cancelled)`. Not a failure of the
    /// scope.
    pub fn cancel(&self) {
        self.slot().cancel();
    }

    /// Whether the child has finished (its result is ready, or was taken).
    pub fn is_finished(&self) -> bool {
        !matches!(*self.slot().lock(), SlotState::Running(_))
    }
}

impl<T, E> Unpin for ScopedTask<T, E> {}

impl<T, E> Future for ScopedTask<T, E> {
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.slot().lock();
        match std::mem::replace(&mut *state, SlotState::Taken) {
            SlotState::Done(result, unreceived) => {
                unreceived.received();
                Poll::Ready(result)
            }
            SlotState::Running(_) => {
                *state = SlotState::Running(Some(cx.waker().clone()));
                Poll::Pending
            }
            SlotState::Taken => panic!("`ScopedTask` polled after its result was taken"),
        }
    }
}

impl<T, E> fmt::Debug for ScopedTask<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedTask")
            .field("finished", &self.is_finished())
            .field("cancelled", &self.slot().is_cancelled())
            .finish()
    }
}

/// Polls a child, its panic captured (and reported to the hook) as a failure.
fn poll_caught<T, E: From<Error>, F: Future<Output = Result<T, E>>>(
    fut: Pin<&mut F>,
    cx: &mut Context<'_>,
    at: &'static Location<'static>,
    name: Option<&'static str>,
) -> Poll<Outcome<T, E>> {
    Poll::Ready(match std::task::ready!(catch::poll(fut, cx, &(name, at))) {
        Ok(Ok(value)) => Outcome::Ok(value),
        Ok(Err(error)) => Outcome::Failed(error, Unreceived::NONE),
        Err(mut panic) => {
            let unreceived = panic.take_unreceived();
            Outcome::Failed(Error::Panicked(panic).into(), unreceived)
        }
    })
}

/// Whether a local child may run yet (`limit = n`).
enum Admission {
    /// Admitted with no limit, or finished.
    Free,
    /// Waiting for a `limit` slot.
    Waiting(Pin<Box<dyn Future<Output = Option<tokio::sync::OwnedSemaphorePermit>> + Send>>),
    /// Running, holding its slot.
    Admitted {
        _permit: Option<tokio::sync::OwnedSemaphorePermit>,
    },
}

impl Admission {
    /// Ready once the child may run.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Admission::Waiting(wait) = self {
            let permit = std::task::ready!(wait.as_mut().poll(cx));
            *self = Admission::Admitted { _permit: permit };
        }
        Poll::Ready(())
    }
}

pin_project_lite::pin_project! {
    /// A `spawn` child, as the task the scope's `JoinSet` runs: the child's future, its
    /// handle's slot, its admission, and the scope's mailbox (whose token is the
    /// task-local `CURRENT` while it is polled, so that scopes nested in it find their
    /// parent). If the task is aborted unfinished — even before its first poll — its drop
    /// settles the slot as cancelled; a child cancelled before it started never starts.
    /// Its handle cancels it by the slot's flag, checked at every poll (the task ends).
    struct Static<F, T, E>
    where
        E: From<Error>,
    {
        #[pin]
        fut: F,
        // `None` once settled.
        slot: Option<Arc<Slot<T, E>>>,
        mailbox: Arc<Mailbox<E>>,
        admission: Admission,
        started: bool,
        at: &'static Location<'static>,
        name: Option<&'static str>,
    }

    impl<F, T, E> PinnedDrop for Static<F, T, E>
    where
        E: From<Error>,
    {
        fn drop(this: Pin<&mut Self>) {
            if let Some(slot) = this.project().slot.take() {
                slot.finish(Err(Error::Cancelled.into()));
            }
        }
    }
}

impl<F, T, E> Future for Static<F, T, E>
where
    F: Future<Output = Result<T, E>>,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let Some(slot) = this.slot.as_ref() else {
            return Poll::Ready(());
        };
        // Cancelled by its handle (perhaps before it started): the task ends, and the
        // drop settles the slot as cancelled.
        if slot.is_cancelled() {
            return Poll::Ready(());
        }
        let outcome = if this.admission.poll(cx).is_pending() {
            Poll::Pending
        } else if !*this.started && this.mailbox.token.is_cancelled() {
            // The scope was cancelled before it started (perhaps while it waited for a
            // slot): it never starts; the drop settles it as cancelled.
            return Poll::Ready(());
        } else {
            *this.started = true;
            let (fut, at, name) = (this.fut, *this.at, *this.name);
            CURRENT.sync_scope(Arc::clone(&this.mailbox.token), || {
                poll_caught(fut, cx, at, name)
            })
        };
        match outcome {
            Poll::Ready(outcome) => {
                *this.admission = Admission::Free;
                if let Some(slot) = this.slot.take() {
                    slot.settle_static(outcome, this.mailbox);
                }
                Poll::Ready(())
            }
            Poll::Pending => {
                slot.register(cx.waker());
                Poll::Pending
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// A `spawn_local` child, as its node in the scope's set holds it: the child's future,
    /// its admission, and the scope. The handle's slot is beside it in the node. The scope
    /// cancels local children by dropping them (`abandon` settles the slot as cancelled);
    /// the handle, by a flag this checks at every poll.
    struct Local<'env, F, T, E> {
        #[pin]
        fut: F,
        scope: Scope<'env, E>,
        admission: Admission,
        at: &'static Location<'static>,
        span: Option<tracing::Span>,
        _result: PhantomData<fn() -> T>,
    }
}

impl<'env, F, T, E> local_set::Child<'env> for Local<'env, F, T, E>
where
    F: Future<Output = Result<T, E>> + Send + 'env,
    T: Send + 'env,
    E: From<Error> + Send + 'env,
{
    type Shared = Slot<T, E>;

    fn poll(
        self: Pin<&mut Self>,
        node: &Arc<local_set::Node<'env, Self>>,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let this = self.project();
        let _entered = this.span.as_ref().map(tracing::Span::enter);
        let slot = node.shared();
        let outcome = if this.scope.is_cancelled() || slot.is_cancelled() {
            // Cancelled: the set drops this child once it is ready.
            Poll::Ready(Outcome::Cancelled)
        } else if this.admission.poll(cx).is_pending() {
            Poll::Pending
        } else {
            poll_caught(this.fut, cx, this.at, None)
        };
        match outcome {
            Poll::Ready(outcome) => {
                *this.admission = Admission::Free;
                settle(node, outcome, this.scope);
                Poll::Ready(())
            }
            Poll::Pending => {
                slot.register(cx.waker());
                Poll::Pending
            }
        }
    }

    fn abandon(slot: &Slot<T, E>) {
        slot.finish(Err(Error::Cancelled.into()));
    }
}

#[cfg(test)]
mod tests;
