//! [`retry`]: call a fallible async function again, with exponential backoff.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::time::Duration;

use futures_util::future::Either;
use tokio::time::Instant;

use crate::Error;
use crate::combinators::settle::Settled;

/// How [`Retry`] randomises its delays, so that many clients that failed together do not
/// retry together. `jitter(true)` is [`Jitter::Full`]; `jitter(false)` is [`Jitter::None`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Jitter {
    /// Sleep exactly the computed delay.
    #[default]
    None,
    /// Sleep a uniformly random time between zero and the computed delay ("full jitter":
    /// spreads retries the most; the average sleep is half the delay).
    Full,
    /// Sleep half the computed delay plus a uniformly random time up to the other half
    /// ("equal jitter": never less than half the delay).
    Equal,
}

impl From<bool> for Jitter {
    fn from(on: bool) -> Self {
        if on { Jitter::Full } else { Jitter::None }
    }
}

impl Jitter {
    fn apply(self, delay: Duration) -> Duration {
        let random = |range: Duration| {
            // A uniform fraction of `range`, in steps of 2^-30 of it.
            const STEPS: usize = 1 << 30;
            range.mul_f64(crate::util::rand::below(STEPS) as f64 / STEPS as f64)
        };
        match self {
            Jitter::None => delay,
            Jitter::Full => random(delay),
            Jitter::Equal => delay / 2 + random(delay - delay / 2),
        }
    }
}

/// Converts a [`goscope::Error`](Error) (a deadline, a panic) into the caller's error.
type Convert<E> = fn(Error) -> E;

/// `now + d`, or some thirty years from now if that does not fit in an `Instant` (as
/// Tokio does for a very long sleep).
fn later(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30))
}

/// Calls `f` until it succeeds, with exponential backoff between attempts: a builder,
/// `.await` it to run.
///
/// `f` returns a future of `Result<T, E>`; it may take the attempt number (1 for the
/// first call): `retry(|| fetch())` and `retry(|attempt| fetch_page(attempt))` both work
/// ([`RetryFn`]). The defaults: 3 attempts, a first delay of 100 ms, doubling each time,
/// at most 30 s, no jitter, every error retried. The result is the first `Ok`, or the last
/// `Err`.
///
/// - [`attempts(n)`](Retry::attempts): at most `n` calls in all (at least one is made).
/// - [`delay(d)`](Retry::delay), [`factor(x)`](Retry::factor),
///   [`max_delay(d)`](Retry::max_delay): the sleep after attempt `k` is
///   `min(d × x^(k-1), max_delay)`, then [`jitter`](Retry::jitter) is applied.
/// - [`retry_if(|e| …)`](Retry::retry_if): an error for which it returns `false` is
///   returned at once.
/// - [`notify(|e, attempt, next_delay| …)`](Retry::notify): called before each sleep.
/// - [`attempt_timeout(d)`](Retry::attempt_timeout): an attempt that takes longer is
///   dropped and counts as failed with `Error::TimedOut(d)` converted into `E`.
/// - [`deadline(d)`](Retry::deadline): the whole retry never takes longer than `d`. An
///   attempt still running at the deadline is dropped (its error:
///   `Error::TimedOut(d).into()`); a sleep that would end at or after the deadline is cut
///   short — retry returns the last error at once rather than wait for an attempt it
///   could not make.
/// - A sleep ends at once when the surrounding scope is cancelled
///   ([`cancelled`](crate::cancelled)): retry returns the last error.
/// - A panic in `f` is not retried: it unwinds as usual (a task or scope around it
///   captures it). [`retry_panics()`](Retry::retry_panics) makes it an error,
///   `Error::Panicked(_).into()`, retried like the others.
///
/// The future is boxed (one allocation a retry) and needs `f` and its futures to be
/// `Send`.
///
/// # Examples
///
/// A flaky fetch, retried with backoff (under paused time, so the example takes no time):
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
///
/// async fn fetch(attempt: u32) -> Result<&'static str, String> {
///     if attempt < 3 { Err(format!("attempt {attempt}: connection reset")) } else { Ok("page") }
/// }
///
/// let start = tokio::time::Instant::now();
/// let mut log = Vec::new();
/// let page = goscope::retry(fetch)
///     .attempts(5)
///     .delay(Duration::from_millis(100))
///     .factor(2.0)
///     .notify(|e, attempt, next| log.push(format!("{e}; retry {} in {next:?}", attempt + 1)))
///     .await;
/// assert_eq!(page, Ok("page"));
/// assert_eq!(start.elapsed(), Duration::from_millis(300)); // slept 100 ms, then 200 ms
/// assert_eq!(log, [
///     "attempt 1: connection reset; retry 2 in 100ms",
///     "attempt 2: connection reset; retry 3 in 200ms",
/// ]);
/// # }
/// ```
#[track_caller]
pub fn retry<'a, F, M>(f: F) -> Retry<'a, F, F::Err, M>
where
    F: RetryFn<M> + 'a,
{
    Retry {
        f,
        attempts: 3,
        delay: Duration::from_millis(100),
        factor: 2.0,
        max_delay: Duration::from_secs(30),
        jitter: Jitter::None,
        retry_if: None,
        notify: None,
        attempt_timeout: None,
        deadline: None,
        panics: None,
        at: Location::caller(),
        _lifetime: PhantomData,
        _shape: PhantomData,
    }
}

/// What [`retry`] calls for each attempt: a closure or fn that returns a future of
/// `Result<T, E>`, given the attempt number (`FnMut(u32) -> Fut`; the first attempt is 1)
/// or not (`FnMut() -> Fut`). `M` tells the two shapes apart ([`WithAttempt`],
/// [`WithoutAttempt`]) and is inferred: `retry(|| fetch())`, `retry(|n| fetch_page(n))`
/// and `retry(fetch_page)` all work.
pub trait RetryFn<M>: Send {
    /// The success value.
    type Ok;
    /// The error.
    type Err;
    /// One attempt.
    type Future: Future<Output = Result<Self::Ok, Self::Err>> + Send;

    /// Starts attempt number `attempt` (from 1).
    fn attempt(&mut self, attempt: u32) -> Self::Future;
}

/// The [`RetryFn`] shape `FnMut(u32) -> Fut`: the closure gets the attempt number.
#[derive(Debug)]
pub enum WithAttempt {}

/// The [`RetryFn`] shape `FnMut() -> Fut`.
#[derive(Debug)]
pub enum WithoutAttempt {}

impl<F, Fut, T, E> RetryFn<WithAttempt> for F
where
    F: FnMut(u32) -> Fut + Send,
    Fut: Future<Output = Result<T, E>> + Send,
{
    type Ok = T;
    type Err = E;
    type Future = Fut;

    fn attempt(&mut self, attempt: u32) -> Fut {
        self(attempt)
    }
}

impl<F, Fut, T, E> RetryFn<WithoutAttempt> for F
where
    F: FnMut() -> Fut + Send,
    Fut: Future<Output = Result<T, E>> + Send,
{
    type Ok = T;
    type Err = E;
    type Future = Fut;

    fn attempt(&mut self, _attempt: u32) -> Fut {
        self()
    }
}

/// The builder [`retry`] returns; `.await` it to run.
#[must_use = "a retry does nothing unless it is `.await`ed"]
pub struct Retry<'a, F, E, M = WithAttempt> {
    f: F,
    attempts: u32,
    delay: Duration,
    factor: f64,
    max_delay: Duration,
    jitter: Jitter,
    #[allow(clippy::type_complexity)]
    retry_if: Option<Box<dyn FnMut(&E) -> bool + Send + 'a>>,
    #[allow(clippy::type_complexity)]
    notify: Option<Box<dyn FnMut(&E, u32, Duration) + Send + 'a>>,
    attempt_timeout: Option<(Duration, Convert<E>)>,
    deadline: Option<(Duration, Convert<E>)>,
    panics: Option<Convert<E>>,
    at: &'static Location<'static>,
    _lifetime: PhantomData<&'a ()>,
    _shape: PhantomData<fn() -> M>,
}

impl<'a, F, E, M> Retry<'a, F, E, M> {
    /// At most `n` calls in all, the first included (default 3); `0` is taken as 1.
    pub fn attempts(mut self, n: u32) -> Self {
        self.attempts = n.max(1);
        self
    }

    /// The sleep after the first failed attempt (default 100 ms).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// What each sleep is multiplied by for the next (default 2.0). A factor below 1, or
    /// not a number, is taken as 1 (a constant delay).
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = if factor >= 1.0 { factor } else { 1.0 };
        self
    }

    /// The longest sleep, before jitter (default 30 s).
    pub fn max_delay(mut self, max: Duration) -> Self {
        self.max_delay = max;
        self
    }

    /// Randomises each sleep: `true` (or [`Jitter::Full`]) for a uniform time up to the
    /// delay, [`Jitter::Equal`] for half the delay plus a uniform time up to the other half.
    pub fn jitter(mut self, jitter: impl Into<Jitter>) -> Self {
        self.jitter = jitter.into();
        self
    }

    /// Retries only the errors for which `retryable` returns `true`; any other is returned
    /// at once.
    pub fn retry_if(mut self, retryable: impl FnMut(&E) -> bool + Send + 'a) -> Self {
        self.retry_if = Some(Box::new(retryable));
        self
    }

    /// Calls `hook(&error, attempt, next_delay)` after each failed attempt that will be
    /// retried, before the sleep (for logs and metrics).
    pub fn notify(mut self, hook: impl FnMut(&E, u32, Duration) + Send + 'a) -> Self {
        self.notify = Some(Box::new(hook));
        self
    }
}

impl<'a, F, E: From<Error>, M> Retry<'a, F, E, M> {
    /// Drops an attempt that takes longer than `limit`: it failed with
    /// `Error::TimedOut(limit)` converted into `E` (and is retried like any error).
    pub fn attempt_timeout(mut self, limit: Duration) -> Self {
        self.attempt_timeout = Some((limit, E::from));
        self
    }

    /// The whole retry never takes longer than `total`, counted from the first poll: an
    /// attempt running at the deadline is dropped (`Error::TimedOut(total)` converted
    /// into `E`), and no sleep passes it.
    pub fn deadline(mut self, total: Duration) -> Self {
        self.deadline = Some((total, E::from));
        self
    }

    /// Retries panics too: a panic in `f` or its future is captured (and reported to the
    /// panic hook) as `Error::Panicked(_)` converted into `E`.
    pub fn retry_panics(mut self) -> Self {
        self.panics = Some(E::from);
        self
    }
}

impl<'a, F, M: 'a> IntoFuture for Retry<'a, F, F::Err, M>
where
    F: RetryFn<M> + 'a,
    F::Future: 'a,
    F::Ok: Send + 'a,
    F::Err: Send + 'a,
{
    type Output = Result<F::Ok, F::Err>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<F::Ok, F::Err>> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

impl<'a, F, M: 'a> Retry<'a, F, F::Err, M>
where
    F: RetryFn<M> + 'a,
    F::Future: 'a,
    F::Ok: Send + 'a,
    F::Err: Send + 'a,
{
    async fn run(mut self) -> Result<F::Ok, F::Err> {
        let deadline = self
            .deadline
            .map(|(total, convert)| (later(total), total, convert));
        let mut delay = self.delay;
        let mut attempt = 1;
        loop {
            let error = match self.attempt(attempt, deadline).await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if attempt >= self.attempts {
                return Err(error);
            }
            if let Some(retryable) = &mut self.retry_if
                && !retryable(&error)
            {
                return Err(error);
            }
            let sleep = self.jitter.apply(delay.min(self.max_delay));
            let wake_at = later(sleep);
            if let Some((at, _, _)) = deadline
                && wake_at >= at
            {
                return Err(error);
            }
            if let Some(notify) = &mut self.notify {
                notify(&error, attempt, sleep);
            }
            let cancelled = std::pin::pin!(crate::cancelled());
            let slept = std::pin::pin!(tokio::time::sleep_until(wake_at));
            if let Either::Left(_) = futures_util::future::select(cancelled, slept).await {
                return Err(error);
            }
            delay = Duration::try_from_secs_f64(delay.as_secs_f64() * self.factor)
                .unwrap_or(Duration::MAX);
            attempt += 1;
        }
    }

    /// One call of `f`, bounded by the attempt timeout and the deadline.
    async fn attempt(
        &mut self,
        attempt: u32,
        deadline: Option<(Instant, Duration, Convert<F::Err>)>,
    ) -> Result<F::Ok, F::Err> {
        let fut = match self.panics {
            None => self.f.attempt(attempt),
            Some(convert) => {
                // `f` itself may panic too, before it returns its future.
                let f = &mut self.f;
                match crate::panic::catch::call(&self.at, || f.attempt(attempt)) {
                    Ok(fut) => fut,
                    Err(panic) => return Err(convert(Error::Panicked(panic.received()))),
                }
            }
        };
        // Whichever ends first: the attempt's own limit, or the deadline.
        let mut limit: Option<(Instant, Duration, Convert<F::Err>)> = self
            .attempt_timeout
            .map(|(d, convert)| (later(d), d, convert));
        if let Some(deadline) = deadline
            && limit.is_none_or(|(at, _, _)| deadline.0 < at)
        {
            limit = Some(deadline);
        }
        let run = async {
            match self.panics {
                None => fut.await,
                Some(convert) => Settled::new(fut, self.at)
                    .await
                    .unwrap_or_else(|panic| Err(convert(panic.received()))),
            }
        };
        match limit {
            None => run.await,
            Some((at, duration, convert)) => match tokio::time::timeout_at(at, run).await {
                Ok(result) => result,
                Err(_) => Err(convert(Error::TimedOut(duration))),
            },
        }
    }
}

impl<F, E, M> fmt::Debug for Retry<'_, F, E, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("attempts", &self.attempts)
            .field("delay", &self.delay)
            .field("factor", &self.factor)
            .field("max_delay", &self.max_delay)
            .field("jitter", &self.jitter)
            .field("attempt_timeout", &self.attempt_timeout.map(|(d, _)| d))
            .field("deadline", &self.deadline.map(|(d, _)| d))
            .field("retry_panics", &self.panics.is_some())
            .finish_non_exhaustive()
    }
}
