//! [`Pool`]: a fixed number of workers running submitted jobs from a bounded queue.

use std::any::Any;
use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use parking_lot::Mutex;
use tokio::sync::{Notify, oneshot};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::chan::{Receiver, Sender, TrySendError};
use crate::combinators::settle::Settled;
use crate::{Error, Task};

/// `n` workers — tasks — that run the jobs submitted to the pool, one at a time each, in
/// the order submitted, from a bounded queue: [`submit`](Pool::submit) waits while the
/// queue is full, [`try_submit`](Pool::try_submit) gives the job back.
///
/// - Each job's result comes back through the [`PoolTask`] `submit` returns; dropping that
///   handle does not cancel the job ([`PoolTask::cancel`] does).
/// - A panicking job is captured — reported to the panic hook, `Err(Error::Panicked(_))` in
///   its handle — and its worker goes on with the next job.
/// - [`wait`](Pool::wait) waits for every job submitted before it was called;
///   [`close`](Pool::close) stops new submissions, and the workers stop once the queue is
///   drained: `close()` then `wait()` is a clean shutdown.
/// - Dropping the pool cancels the jobs still queued or running and stops the workers, as
///   dropping a [`Task`] cancels it. A pool made inside a `scope!` is cancelled with it.
///
/// # Examples
///
/// A pool of 10 workers:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goscope::Error> {
/// use goscope::Pool;
///
/// let pool = Pool::new(10);
/// let mut handles = Vec::new();
/// for item in 0..100u64 {
///     handles.push(pool.submit(async move { item * item }).await);
/// }
/// pool.close();
/// pool.wait().await; // everything submitted has run
/// let mut sum = 0;
/// for handle in handles {
///     sum += handle.await?;
/// }
/// assert_eq!(sum, 328_350);
/// # Ok(())
/// # }
/// ```
pub struct Pool {
    queue: Sender<Box<dyn Job>>,
    shared: Arc<Shared>,
    workers: Vec<Task<()>>,
}

/// What the workers and the jobs share with the pool.
struct Shared {
    /// Cancelled when the pool is dropped (or an enclosing scope is cancelled).
    token: CancellationToken,
    /// The sequence numbers of the jobs submitted and not yet done.
    pending: Mutex<Pending>,
    /// Told whenever the oldest pending job is done.
    progress: Notify,
}

#[derive(Default)]
struct Pending {
    next: u64,
    jobs: BTreeSet<u64>,
}

impl Shared {
    fn register(&self) -> u64 {
        let mut pending = self.pending.lock();
        let seq = pending.next;
        pending.next += 1;
        pending.jobs.insert(seq);
        seq
    }

    fn finish(&self, seq: u64) {
        let oldest = {
            let mut pending = self.pending.lock();
            let oldest = pending.jobs.first() == Some(&seq);
            pending.jobs.remove(&seq);
            oldest
        };
        if oldest {
            self.progress.notify_waiters();
        }
    }
}

impl Pool {
    /// A pool of `n` workers with a queue of `n` jobs.
    ///
    /// # Panics
    ///
    /// If `n` is 0, or outside a Tokio runtime (like [`go`](fn@crate::go)).
    #[track_caller]
    pub fn new(n: usize) -> Self {
        Self::with_queue(n, n)
    }

    /// A pool of `n` workers with a queue of `capacity` jobs (0: `submit` waits until a
    /// worker takes the job, as an unbuffered Go channel).
    ///
    /// # Panics
    ///
    /// If `n` is 0, or outside a Tokio runtime.
    #[track_caller]
    pub fn with_queue(n: usize, capacity: usize) -> Self {
        assert!(
            n > 0,
            "`Pool::new(0)`: a pool without workers would never run a job; use at least 1"
        );
        // The hook that records where a job panicked, for `PanicError::location`.
        crate::panic::install_process_hook();
        let token = crate::scope::CURRENT
            .try_with(|current| current.child_token())
            .unwrap_or_default();
        let shared = Arc::new(Shared {
            token,
            pending: Mutex::default(),
            progress: Notify::new(),
        });
        let (queue, jobs) = crate::chan::bounded(capacity);
        let workers = (0..n).map(|_| crate::go(work(jobs.clone()))).collect();
        Pool {
            queue,
            shared,
            workers,
        }
    }

    /// Queues `job`, waiting while the queue is full, and returns its handle.
    ///
    /// On a closed pool the job is not run: its handle resolves to
    /// `Err(Error::Cancelled)` at once (as a task spawned on a runtime that is shutting
    /// down). [`try_submit`](Pool::try_submit) gives the job back instead.
    #[track_caller]
    // The future resolves to the handle (itself a future) once the job is queued.
    #[allow(clippy::async_yields_async)]
    pub fn submit<F>(&self, job: F) -> impl Future<Output = PoolTask<F::Output>> + Send + '_
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (cell, handle) = self.job(job);
        async move {
            // Refused (closed): the job comes back and is dropped here, which resolves its
            // handle as cancelled and counts it done.
            let _ = self.queue.send(cell).await;
            handle
        }
    }

    /// Queues `job` if there is room now and returns its handle; or gives it back.
    #[track_caller]
    pub fn try_submit<F>(&self, job: F) -> Result<PoolTask<F::Output>, TrySubmitError<F>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (cell, handle) = self.job(job);
        match self.queue.try_send(cell) {
            Ok(()) => Ok(handle),
            Err(TrySendError::Full(cell)) => Err(TrySubmitError::Full(take_back(cell))),
            Err(TrySendError::Closed(cell)) => Err(TrySubmitError::Closed(take_back(cell))),
        }
    }

    #[track_caller]
    fn job<F>(&self, fut: F) -> (Box<dyn Job>, PoolTask<F::Output>)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (result, rx) = oneshot::channel();
        let cancel = Arc::new(self.shared.token.child_token());
        let cell = Box::new(JobCell {
            fut: Settled::new(fut, Location::caller()),
            cancelled: CancellationToken::clone(&cancel).cancelled_owned(),
            token: Arc::clone(&cancel),
            ticket: Ticket {
                result: Some(result),
                seq: self.shared.register(),
                shared: Arc::clone(&self.shared),
            },
        });
        (cell, PoolTask { result: rx, cancel })
    }

    /// Waits until every job submitted before this call is done (ran, failed, or was
    /// cancelled). Jobs submitted meanwhile are not waited for.
    pub fn wait(&self) -> impl Future<Output = ()> + Send + '_ {
        let target = self.shared.pending.lock().next;
        self.wait_for(target)
    }

    /// Waits until every job numbered below `target` is done.
    async fn wait_for(&self, target: u64) {
        loop {
            let progress = self.shared.progress.notified();
            let mut progress = std::pin::pin!(progress);
            progress.as_mut().enable();
            if self
                .shared
                .pending
                .lock()
                .jobs
                .first()
                .is_none_or(|&oldest| oldest >= target)
            {
                return;
            }
            progress.await;
        }
    }

    /// Stops new submissions (they give their job back); the jobs already queued still
    /// run, and the workers stop once the queue is drained. Returns `false` if the pool
    /// was already closed.
    pub fn close(&self) -> bool {
        self.queue.close()
    }

    /// Whether the pool is closed.
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// The number of workers.
    pub fn size(&self) -> usize {
        self.workers.len()
    }

    /// The number of jobs submitted and not yet done (queued or running).
    pub fn pending(&self) -> usize {
        self.shared.pending.lock().jobs.len()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // The workers (dropped after this) are cancelled with their tasks; this cancels
        // the jobs still in the queue, whose handles then resolve.
        self.shared.token.cancel();
        self.queue.close();
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("size", &self.size())
            .field("pending", &self.pending())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// A worker: runs jobs until the queue is closed and drained.
async fn work(jobs: Receiver<Box<dyn Job>>) {
    while let Some(job) = jobs.recv().await {
        // The job's own token is the current one while it runs: `goscope::cancelled()`
        // and scopes nested in the job see its cancellation (and the pool's).
        let token = job.token();
        let job: Pin<Box<dyn Job>> = Box::into_pin(job);
        crate::scope::CURRENT.scope(token, RunJob(job)).await;
    }
}

/// A queued job: the user's future, the sender of its result and its cancellation, type
/// erased so that one queue holds every kind of job.
trait Job: Send {
    /// Polls the job (under `catch_unwind`) until it is done, cancelled or has panicked;
    /// then its result is in its handle.
    fn poll_job(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;
    /// The job, not yet started, for a submission that was refused.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
    /// The job's cancellation token (a child of the pool's).
    fn token(&self) -> Arc<CancellationToken>;
}

/// Polls a pinned job to its end.
struct RunJob(Pin<Box<dyn Job>>);

impl Future for RunJob {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll_job(cx)
    }
}

/// A job's result sender and its place in the pool's count: dropped with the job, it
/// resolves the handle as cancelled if the job did not finish, and counts the job done.
struct Ticket<T> {
    // `None` once the result is sent.
    result: Option<oneshot::Sender<Result<T, Error>>>,
    seq: u64,
    shared: Arc<Shared>,
}

impl<T> Ticket<T> {
    fn send(&mut self, outcome: Result<T, Error>) {
        if let Some(result) = self.result.take() {
            let _ = result.send(outcome);
        }
    }
}

impl<T> Drop for Ticket<T> {
    fn drop(&mut self) {
        self.send(Err(Error::Cancelled));
        self.shared.finish(self.seq);
    }
}

pin_project_lite::pin_project! {
    /// A job: the user's future (its panics captured), its cancellation, and its
    /// ticket. (No drop glue of its own — the ticket has it — so a refused job can be
    /// taken apart to give the future back.)
    struct JobCell<F: Future> {
        #[pin]
        fut: Settled<F>,
        #[pin]
        cancelled: WaitForCancellationFutureOwned,
        token: Arc<CancellationToken>,
        ticket: Ticket<F::Output>,
    }
}

impl<F> Job for JobCell<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn poll_job(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        if this.ticket.result.is_none() {
            return Poll::Ready(());
        }
        let outcome = if this.cancelled.poll(cx).is_ready() {
            Err(Error::Cancelled)
        } else {
            std::task::ready!(this.fut.poll(cx))
        };
        this.ticket.send(outcome);
        Poll::Ready(())
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }

    fn token(&self) -> Arc<CancellationToken> {
        Arc::clone(&self.token)
    }
}

/// The user's future back out of a refused job (never pinned, never polled); dropping
/// its ticket counts the job done.
fn take_back<F>(job: Box<dyn Job>) -> F
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match job.into_any().downcast::<JobCell<F>>() {
        Ok(cell) => {
            let JobCell { fut, .. } = *cell;
            fut.into_inner()
        }
        Err(_) => unreachable!("a refused job is the one just made"),
    }
}

/// A handle to a job of a [`Pool`]: await it for the job's output, `Err(Error::Panicked)`
/// if it panicked, `Err(Error::Cancelled)` if it was cancelled (or the pool dropped
/// before it ran).
///
/// Dropping the handle does not cancel the job (the pool owns it); [`cancel`](Self::cancel)
/// does.
pub struct PoolTask<T> {
    result: oneshot::Receiver<Result<T, Error>>,
    cancel: Arc<CancellationToken>,
}

impl<T> PoolTask<T> {
    /// Cancels the job: dropped where it is (or never started), its handle resolves to
    /// `Err(Error::Cancelled)`.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Whether the job is done (its result is waiting in the handle).
    pub fn is_finished(&self) -> bool {
        !self.result.is_empty() || self.result.is_terminated()
    }
}

impl<T> Future for PoolTask<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.result).poll(cx).map(|received| {
            received
                .unwrap_or(Err(Error::Cancelled))
                .map_err(Error::received)
        })
    }
}

impl<T> fmt::Debug for PoolTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolTask")
            .field("cancelled", &self.cancel.is_cancelled())
            .finish_non_exhaustive()
    }
}

/// Why [`Pool::try_submit`] gave the job back.
pub enum TrySubmitError<F> {
    /// The queue is full.
    Full(F),
    /// The pool is closed.
    Closed(F),
}

impl<F> TrySubmitError<F> {
    /// The job.
    pub fn into_inner(self) -> F {
        match self {
            TrySubmitError::Full(job) | TrySubmitError::Closed(job) => job,
        }
    }
}

impl<F> fmt::Debug for TrySubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySubmitError::Full(_) => f.write_str("Full(..)"),
            TrySubmitError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<F> fmt::Display for TrySubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySubmitError::Full(_) => f.write_str("the pool's queue is full"),
            TrySubmitError::Closed(_) => f.write_str("the pool is closed"),
        }
    }
}

impl<F> std::error::Error for TrySubmitError<F> {}
