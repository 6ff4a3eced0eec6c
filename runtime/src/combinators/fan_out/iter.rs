//! The fan-outs over an iterator: [`map`], [`try_map`], [`for_each`], [`try_for_each`],
//! [`go_for_each`], on the engine of `fan_out` (see its docs), with the iterator as the
//! feed: the workers take its items under a lock.
//!
//! Each returns a named future ([`Map`], [`TryMap`], [`ForEach`], [`TryForEach`]) over
//! one boxed future: the run of the fan-out's scope is an `async fn` of the scope module,
//! which has no name to store it under. The box is one allocation per call, against the
//! scope and the `limit` spawns every call makes.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use parking_lot::Mutex;

use super::{Feed, check_limit, drive};
use crate::combinators::in_order::InOrder;
use crate::combinators::settle::Settled;
use crate::scope::{Scope, run};
use crate::{Error, Task};

/// The items of an iterator, shared by the workers: each takes the next one, with its
/// index, under a lock.
struct IterFeed<I> {
    next: Mutex<(usize, I)>,
}

impl<I: Iterator> IterFeed<I> {
    fn new(items: I) -> Arc<Self> {
        Arc::new(IterFeed {
            next: Mutex::new((0, items)),
        })
    }

    /// The next item and its index, or `None` once the items are used up.
    fn next(&self) -> Option<(usize, I::Item)> {
        let mut next = self.next.lock();
        let (index, items) = &mut *next;
        let item = items.next()?;
        let taken = *index;
        *index += 1;
        Some((taken, item))
    }
}

impl<I> Feed for IterFeed<I>
where
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
{
    type Item = I::Item;

    fn take(&self) -> impl Future<Output = Option<(usize, I::Item)>> + Send {
        std::future::ready(self.next())
    }
}

/// Runs `drive` as the body of a scope of its own.
async fn fan_out<I, W, Fut, R, E>(
    feed: &Arc<IterFeed<I>>,
    limit: usize,
    worker: W,
) -> Result<Vec<R>, E>
where
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
    W: Fn(super::Items<IterFeed<I>>) -> Fut,
    Fut: Future<Output = Result<R, E>> + Send + 'static,
    R: Send + 'static,
    E: From<Error> + Send + 'static,
{
    let scope = Scope::<E>::new();
    run(&scope, drive(&scope, feed, limit, worker)).await
}

/// A public future over one boxed future (see the module docs): the struct, `#[must_use]`,
/// its `Future` and its `Debug`.
macro_rules! boxed_future {
    ($(#[$doc:meta])* $name:ident $(<$($param:ident),+>)? => $output:ty) => {
        $(#[$doc])*
        #[must_use = "futures do nothing unless you `.await` or poll them"]
        pub struct $name $(<$($param),+>)? {
            fut: Pin<Box<dyn Future<Output = $output> + Send>>,
        }

        impl $(<$($param),+>)? Future for $name $(<$($param),+>)? {
            type Output = $output;

            fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
                self.fut.as_mut().poll(cx)
            }
        }

        impl $(<$($param),+>)? fmt::Debug for $name $(<$($param),+>)? {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    };
}

/// Calls `f` on every item, at most `limit` at a time in parallel tasks, and returns the
/// outputs in the order of the items (whatever order they finish in).
///
/// Fails fast: if `f` panics, the items still running are cancelled and `map` returns
/// `Err(Error::Panicked(_))` (the panic also goes to the panic hook); it returns
/// `Err(Error::Cancelled)` if an enclosing scope is cancelled. Dropping the future cancels
/// every item. The items are taken from the iterator one at a time, as workers free up.
///
/// # Panics
///
/// If `limit` is 0.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goscope::Error> {
/// let lengths = goscope::map(vec!["ada", "grace", "linus"], 2, |name| async move {
///     name.len()
/// })
/// .await?;
/// assert_eq!(lengths, [3, 5, 5]);
/// # Ok(())
/// # }
/// ```
#[track_caller]
pub fn map<I, F, Fut>(items: I, limit: usize, f: F) -> Map<Fut::Output>
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    check_limit("map", limit);
    Map {
        fut: Box::pin(ordered(items.into_iter(), limit, f, Ok::<_, Error>)),
    }
}

boxed_future! {
    /// The future of a [`map`]: every output in item order, or the first panic.
    ///
    /// This `struct` is created by [`map`]. See its documentation for more. Not
    /// cancel-safe: dropping it cancels every item and drops the outputs so far.
    Map<T> => Result<Vec<T>, Error>
}

/// [`map`] for a fallible `f`: the outputs in item order, or the first `Err` — which
/// cancels the items still running (they stop at their next `.await`) and starts no more.
///
/// A panic in `f` is a failure too: `Err(Error::Panicked(_).into())`. The error type needs
/// `From<goscope::Error>`, as a `scope!`'s does.
///
/// # Panics
///
/// If `limit` is 0.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// #[derive(Debug, PartialEq)]
/// enum FetchError { NotFound(u32), Runtime }
/// impl From<goscope::Error> for FetchError {
///     fn from(_: goscope::Error) -> Self { FetchError::Runtime }
/// }
///
/// let found = goscope::try_map(1..=3, 2, |id| async move { Ok::<_, FetchError>(id * 10) }).await;
/// assert_eq!(found, Ok(vec![10, 20, 30]));
///
/// let missing = goscope::try_map(1..=3, 2, |id| async move {
///     if id == 2 { Err(FetchError::NotFound(id)) } else { Ok(id) }
/// })
/// .await;
/// assert_eq!(missing, Err(FetchError::NotFound(2)));
/// # }
/// ```
#[track_caller]
pub fn try_map<I, F, Fut, T, E>(items: I, limit: usize, f: F) -> TryMap<T, E>
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    check_limit("try_map", limit);
    TryMap {
        fut: Box::pin(ordered(items.into_iter(), limit, f, std::convert::identity)),
    }
}

boxed_future! {
    /// The future of a [`try_map`]: every `Ok` value in item order, or the first failure.
    ///
    /// This `struct` is created by [`try_map`]. See its documentation for more. Not
    /// cancel-safe: dropping it cancels every item and drops the outputs so far.
    TryMap<T, E> => Result<Vec<T>, E>
}

/// `map` and `try_map`: `outcome` makes each output a `Result` (`Ok` for `map`, as it is
/// for `try_map`). Each worker keeps its `(index, value)` pairs; they are put in item
/// order at the end.
async fn ordered<I, F, Fut, O, T, E>(items: I, limit: usize, f: F, outcome: O) -> Result<Vec<T>, E>
where
    O: Fn(Fut::Output) -> Result<T, E> + Copy + Send + Sync + 'static,
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    let f = Arc::new(f);
    let feed = IterFeed::new(items);
    let per_worker = fan_out(&feed, limit, move |mut items| {
        let f = Arc::clone(&f);
        async move {
            let mut outputs = Vec::new();
            while let Some((index, item)) = items.next().await {
                outputs.push((index, outcome(f(item).await)?));
                tokio::task::consume_budget().await;
            }
            Ok::<_, E>(outputs)
        }
    })
    .await?;
    let total = per_worker.iter().map(Vec::len).sum();
    // A fan-out that did not fail has every output.
    Ok(InOrder::collect(total, per_worker.into_iter().flatten()).into_vec())
}

/// Calls `f` on every item, at most `limit` at a time in parallel tasks, and returns once
/// every item is done.
///
/// Every item runs even if another panics (as Go's `ForEach`): each panic goes to the
/// panic hook, and `for_each` then returns `Err(Error::Panicked(_))` with the panic of the
/// first item (in item order) that panicked. `Err(Error::Cancelled)` if an enclosing scope
/// is cancelled; dropping the future cancels every item.
///
/// # Panics
///
/// If `limit` is 0.
///
/// # Examples
///
/// Notify five users, at most three at a time:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goscope::Error> {
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// let sent = Arc::new(AtomicUsize::new(0));
/// let users = vec!["ada", "grace", "linus", "barbara", "ken"];
/// let counter = Arc::clone(&sent);
/// goscope::for_each(users, 3, move |user| {
///     let sent = Arc::clone(&counter);
///     async move {
///         tokio::task::yield_now().await; // send the notification to `user`
///         sent.fetch_add(1, Ordering::Relaxed);
///     }
/// })
/// .await?;
/// assert_eq!(sent.load(Ordering::Relaxed), 5);
/// # Ok(())
/// # }
/// ```
#[track_caller]
pub fn for_each<I, F, Fut>(items: I, limit: usize, f: F) -> ForEach
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    check_limit("for_each", limit);
    ForEach {
        fut: Box::pin(for_each_at(items.into_iter(), limit, f, Location::caller())),
    }
}

boxed_future! {
    /// The future of a [`for_each`]: `Ok(())` once every item is done, or the first panic.
    ///
    /// This `struct` is created by [`for_each`]. See its documentation for more. Dropping
    /// it cancels the items still running and those not started.
    ForEach => Result<(), Error>
}

async fn for_each_at<I, F, Fut>(
    items: I,
    limit: usize,
    f: F,
    at: &'static Location<'static>,
) -> Result<(), Error>
where
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    crate::panic::install_process_hook();
    let f = Arc::new(f);
    let first_panics = fan_out(&IterFeed::new(items), limit, move |mut items| {
        let f = Arc::clone(&f);
        async move {
            let mut first_panic: Option<(usize, Error)> = None;
            while let Some((index, item)) = items.next().await {
                if let Err(panic) = Settled::new(f(item), at).await {
                    first_panic.get_or_insert((index, panic));
                }
                tokio::task::consume_budget().await;
            }
            Ok::<_, Error>(first_panic)
        }
    })
    .await?;
    match first_panics
        .into_iter()
        .flatten()
        .min_by_key(|(index, _)| *index)
    {
        // The first panic is returned; the others, dropped here, are told at ERROR.
        Some((_, panic)) => Err(panic.received()),
        None => Ok(()),
    }
}

/// Calls the fallible `f` on every item, at most `limit` at a time in parallel tasks, and
/// returns one slot per item, in item order: `Ok(())`, the item's `Err`, or — if `f`
/// panicked on it — `Err(Error::Panicked(_).into())`. Never fails fast: every item runs.
///
/// If an enclosing scope is cancelled, the items still running are cancelled and every
/// item not done (including those not yet taken from the iterator) gets
/// `Err(Error::Cancelled.into())`.
///
/// # Panics
///
/// If `limit` is 0.
///
/// # Examples
///
/// Jobs with per-item errors:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// #[derive(Debug, PartialEq)]
/// enum JobError { Invalid(u32), Runtime(String) }
/// impl From<goscope::Error> for JobError {
///     fn from(e: goscope::Error) -> Self { JobError::Runtime(e.to_string()) }
/// }
///
/// let outcomes = goscope::try_for_each(vec![1, 2, 3, 4], 2, |job| async move {
///     match job {
///         2 => Err(JobError::Invalid(job)),
///         3 => panic!("job 3 broke"),
///         _ => Ok(()),
///     }
/// })
/// .await;
/// assert_eq!(outcomes[0], Ok(()));
/// assert_eq!(outcomes[1], Err(JobError::Invalid(2)));
/// assert!(matches!(&outcomes[2], Err(JobError::Runtime(m)) if m.contains("job 3 broke")));
/// assert_eq!(outcomes[3], Ok(()));
/// # }
/// ```
#[track_caller]
pub fn try_for_each<I, F, Fut, E>(items: I, limit: usize, f: F) -> TryForEach<E>
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: From<Error> + Send + 'static,
{
    check_limit("try_for_each", limit);
    TryForEach {
        fut: Box::pin(try_for_each_at(
            items.into_iter(),
            limit,
            f,
            Location::caller(),
        )),
    }
}

/// `try_for_each`'s finished items: `(index, outcome)`.
type Outcomes<E> = Vec<(usize, Result<(), E>)>;

async fn try_for_each_at<I, F, Fut, E>(
    items: I,
    limit: usize,
    f: F,
    at: &'static Location<'static>,
) -> Vec<Result<(), E>>
where
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: From<Error> + Send + 'static,
{
    crate::panic::install_process_hook();
    // Kept outside the workers, so that what finished survives a cancellation.
    let done: Arc<Mutex<Outcomes<E>>> = Arc::default();
    let f = Arc::new(f);
    let feed = IterFeed::new(items);
    // Cancelled (an enclosing scope): the items still running stop; what finished is in
    // `done`.
    let _cancelled = fan_out(&feed, limit, |mut items| {
        let (f, done) = (Arc::clone(&f), Arc::clone(&done));
        async move {
            while let Some((index, item)) = items.next().await {
                let outcome = match Settled::new(f(item), at).await {
                    Ok(outcome) => outcome,
                    Err(panic) => Err(E::from(panic.received())),
                };
                done.lock().push((index, outcome));
                tokio::task::consume_budget().await;
            }
            Ok::<_, Error>(())
        }
    })
    .await;
    // Cancelled: the items not taken yet get their slot too.
    while feed.next().is_some() {}
    let total = feed.next.lock().0;
    InOrder::collect(total, std::mem::take(&mut *done.lock()))
        .into_slots(total)
        .map(|slot| slot.unwrap_or_else(|| Err(Error::Cancelled.into())))
        .collect()
}

boxed_future! {
    /// The future of a [`try_for_each`]: one outcome per item, in item order.
    ///
    /// This `struct` is created by [`try_for_each`]. See its documentation for more. Not
    /// cancel-safe: dropping it cancels every item and drops the outcomes so far.
    TryForEach<E> => Vec<Result<(), E>>
}

/// Starts [`for_each`] in the background and returns at once: the items are moved in, so
/// the caller goes on. Await the handle (or [`ForEachTask::wait`]) for the outcome; drop
/// it, or [`cancel`](ForEachTask::cancel) it, to cancel the items still running and those
/// not started; [`detach`](ForEachTask::detach) it to let them run on alone (panics then
/// reach only the panic hook).
///
/// # Panics
///
/// If `limit` is 0, or outside a Tokio runtime (like [`go`](fn@crate::go)).
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goscope::Error> {
/// let (tx, rx) = goscope::chan::unbounded();
/// let orders = vec![101, 102, 103];
/// let notifying = goscope::go_for_each(orders, 10, move |order| {
///     let tx = tx.clone();
///     async move {
///         let _ = tx.send(order).await; // notify the customer of `order`
///     }
/// });
/// // … the caller goes on …
/// notifying.wait().await?;
/// let mut notified: Vec<i32> = rx.iter().collect();
/// notified.sort();
/// assert_eq!(notified, [101, 102, 103]);
/// # Ok(())
/// # }
/// ```
#[track_caller]
pub fn go_for_each<I, F, Fut>(items: I, limit: usize, f: F) -> ForEachTask
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    check_limit("go_for_each", limit);
    let at = Location::caller();
    ForEachTask {
        task: crate::go(for_each_at(items.into_iter(), limit, f, at)),
    }
}

/// The handle of a [`go_for_each`]: await it for the outcome (as [`for_each`]'s).
///
/// Dropping it cancels the items still running and those not started, like dropping a
/// [`Task`]; [`detach`](Self::detach) lets them run on.
#[must_use = "dropping a `ForEachTask` cancels its items: `.await` it, or `.detach()` it"]
pub struct ForEachTask {
    task: Task<Result<(), Error>>,
}

impl ForEachTask {
    /// Waits until every item is done: `Ok(())`, or the first panic (in item order), or
    /// `Err(Error::Cancelled)` if it was cancelled. `handle.wait().await` is
    /// `handle.await` (the handle is its own future), under the name every goscope handle
    /// has for it, as [`Task::wait`].
    pub fn wait(self) -> Self {
        self
    }

    /// Blocks this thread until every item is done, with [`wait`](Self::wait)'s outcome:
    /// for a thread that does not run async code (as [`Task::wait_blocking`]).
    ///
    /// # Panics
    ///
    /// Inside a goscope task (`.await` the handle there), as [`Task::wait_blocking`].
    ///
    /// ```
    /// let rt = tokio::runtime::Runtime::new().unwrap();
    /// let handle = {
    ///     let _enter = rt.enter();
    ///     goscope::go_for_each(0..4, 2, |_n| async {})
    /// };
    /// let outcome = std::thread::spawn(move || handle.wait_blocking()).join().unwrap();
    /// assert!(outcome.is_ok());
    /// ```
    pub fn wait_blocking(self) -> Result<(), Error> {
        crate::task::wait_blocking(self, "ForEachTask::wait_blocking", "the handle")
    }

    /// Cancels the items still running (they stop at their next `.await`) and those not
    /// started.
    pub fn cancel(&self) {
        self.task.cancel();
    }

    /// Whether every item is done (or the whole was cancelled and has stopped).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Lets the items run on with no one to wait for them; a panic reaches the panic hook.
    pub fn detach(self) {
        self.task.detach();
    }
}

impl Future for ForEachTask {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.task)
            .poll(cx)
            .map(|outcome| outcome.and_then(|items| items))
    }
}

impl fmt::Debug for ForEachTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForEachTask")
            .field("finished", &self.is_finished())
            .finish()
    }
}
