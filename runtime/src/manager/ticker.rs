//! [`Ticker`]: a built-in service that runs a job every period.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::{BoxError, Service};

/// A service that runs a job every `period` until its `ctx` is cancelled: a cache
/// refresh, a metrics flush, a lease renewal.
///
/// It ticks as [`tokio::time::interval`] does: the first tick is at once, then every
/// `period` after the start (not after the end of the previous job). A job that
/// overruns its period delays the next tick ([`MissedTickBehavior::Delay`]: the ticks
/// then keep `period` between them, with no burst to catch up); change that with
/// [`missed_tick_behavior`](Ticker::missed_tick_behavior). A job that is running
/// when `ctx` is cancelled runs to its end (it is not cut off at an `.await`), then the
/// ticker stops. A job's `Err` (or panic) is the ticker's failure: it stops the
/// manager.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use goscope::manager::{Manager, Ticker};
///
/// let flushes = Arc::new(AtomicU32::new(0));
/// let counter = Arc::clone(&flushes);
/// let mut manager = Manager::new();
/// manager.add(Ticker::new("metrics.flush", Duration::from_secs(10), move || {
///     let counter = Arc::clone(&counter);
///     async move {
///         counter.fetch_add(1, Ordering::SeqCst);
///         Ok(())
///     }
/// }));
/// let shutdown = manager.shutdown_token();
/// let stop = goscope::go(async move {
///     tokio::time::sleep(Duration::from_secs(25)).await;
///     shutdown.cancel();
/// });
/// manager.run().await.unwrap();
/// stop.await.unwrap();
/// assert_eq!(flushes.load(Ordering::SeqCst), 3); // at 0 s, 10 s and 20 s
/// # }
/// ```
pub struct Ticker<F> {
    name: Cow<'static, str>,
    period: Duration,
    missed: MissedTickBehavior,
    job: F,
}

impl<F, Fut> Ticker<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), BoxError>> + Send,
{
    /// A ticker named `name` that calls `job` every `period`.
    ///
    /// # Panics
    ///
    /// If `period` is zero (as [`tokio::time::interval`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// let ticker = goscope::manager::Ticker::new("refresh", Duration::from_secs(60), || async {
    ///     Ok(())
    /// });
    /// ```
    #[track_caller]
    pub fn new(name: impl Into<Cow<'static, str>>, period: Duration, job: F) -> Self {
        assert!(
            !period.is_zero(),
            "`Ticker::new`: the period must be greater than zero"
        );
        Ticker {
            name: name.into(),
            period,
            missed: MissedTickBehavior::Delay,
            job,
        }
    }

    /// What to do about ticks missed while a job overran (default:
    /// [`MissedTickBehavior::Delay`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tokio::time::MissedTickBehavior;
    ///
    /// let ticker = goscope::manager::Ticker::new("poll", Duration::from_secs(1), || async { Ok(()) })
    ///     .missed_tick_behavior(MissedTickBehavior::Skip);
    /// ```
    pub fn missed_tick_behavior(mut self, behavior: MissedTickBehavior) -> Self {
        self.missed = behavior;
        self
    }
}

impl<F, Fut> Service for Ticker<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), BoxError>> + Send,
{
    fn name(&self) -> Cow<'static, str> {
        self.name.clone()
    }

    async fn execute(&self, ctx: CancellationToken) -> Result<(), BoxError> {
        let mut interval = tokio::time::interval(self.period);
        interval.set_missed_tick_behavior(self.missed);
        while ctx.run_until_cancelled(interval.tick()).await.is_some() {
            (self.job)().await?;
        }
        Ok(())
    }
}

impl<F> fmt::Debug for Ticker<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticker")
            .field("name", &self.name)
            .field("period", &self.period)
            .field("missed_tick_behavior", &self.missed)
            .finish_non_exhaustive()
    }
}
