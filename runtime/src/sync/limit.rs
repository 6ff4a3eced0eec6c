//! [`Limiter`] (how many at once), [`RateLimiter`] (how many per period) and
//! [`WaitGroup`] (wait for a count of things to be done).

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// At most `n` futures run at once through it: [`run`](Limiter::run) waits for a free
/// slot, in the order of arrival (a fair queue: Tokio's semaphore).
///
/// Cloning gives another handle to the same limit.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goscope::Error> {
/// use goscope::Limiter;
///
/// let db = Limiter::new(2); // two connections
/// let queries = (1..=5).map(|id| {
///     let db = db.clone();
///     goscope::go(async move { db.run(async move { id * 10 }).await })
/// });
/// let rows = goscope::try_all(queries).await?;
/// assert_eq!(rows, [10, 20, 30, 40, 50]);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Limiter {
    slots: Arc<Semaphore>,
    size: usize,
}

/// A slot of a [`Limiter`], held until it is dropped.
pub struct LimiterPermit {
    _permit: OwnedSemaphorePermit,
}

impl Limiter {
    /// A limit of `n` at once.
    ///
    /// # Panics
    ///
    /// If `n` is 0 (nothing could ever run), or above [`Semaphore::MAX_PERMITS`].
    #[track_caller]
    pub fn new(n: usize) -> Self {
        assert!(
            n > 0,
            "`Limiter::new(0)`: nothing could ever run; use at least 1"
        );
        assert!(
            n <= Semaphore::MAX_PERMITS,
            "`Limiter::new({n})`: at most {} at once",
            Semaphore::MAX_PERMITS
        );
        Limiter {
            slots: Arc::new(Semaphore::new(n)),
            size: n,
        }
    }

    /// Runs `fut` once a slot is free, and frees the slot when it is done (or dropped).
    pub async fn run<F: Future>(&self, fut: F) -> F::Output {
        let _slot = self.acquire().await;
        fut.await
    }

    /// Waits for a slot and holds it until the permit is dropped.
    pub async fn acquire(&self) -> LimiterPermit {
        match Arc::clone(&self.slots).acquire_owned().await {
            Ok(permit) => LimiterPermit { _permit: permit },
            Err(_) => unreachable!("a limiter's semaphore is never closed"),
        }
    }

    /// A slot if one is free now.
    pub fn try_acquire(&self) -> Option<LimiterPermit> {
        Arc::clone(&self.slots)
            .try_acquire_owned()
            .ok()
            .map(|permit| LimiterPermit { _permit: permit })
    }

    /// How many slots are free now.
    pub fn available(&self) -> usize {
        self.slots.available_permits()
    }

    /// The limit `n`.
    pub fn size(&self) -> usize {
        self.size
    }
}

impl fmt::Debug for Limiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limiter")
            .field("size", &self.size)
            .field("available", &self.available())
            .finish()
    }
}

impl fmt::Debug for LimiterPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LimiterPermit").finish_non_exhaustive()
    }
}

/// Admits at most `n` acquisitions in any window of one `period`: a token bucket of `n`
/// tokens in which each token comes back one `period` after it was taken. A burst of `n`
/// passes at once; the next waits until the oldest of those is a `period` old.
///
/// (A bucket that refills at a steady `n / period` would let up to `2n - 1` pass in the
/// first period — its full bucket plus the refill; this one never exceeds `n`.)
///
/// Waiters are served in the order they asked: each reserves its turn when it asks. A
/// waiting [`acquire`](RateLimiter::acquire) that is dropped gives its turn back if no one
/// reserved after it; otherwise the turn goes unused (the rate is never exceeded). Time is
/// Tokio's, so `tokio::time::pause()` makes tests exact. It keeps the last `n` turns
/// (memory grows with `n` as they are used).
///
/// Cloning gives another handle to the same bucket.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use goscope::RateLimiter;
///
/// let api = RateLimiter::per(2, Duration::from_secs(1)); // two calls a second
/// let start = tokio::time::Instant::now();
/// for _ in 0..5 {
///     api.acquire().await;
/// }
/// // Two at once, two a second later, the fifth a second after that.
/// assert_eq!(start.elapsed(), Duration::from_secs(2));
/// # }
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Bucket>,
}

struct Bucket {
    n: usize,
    period: Duration,
    /// The times of the last (at most `n`) turns, oldest first.
    turns: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    /// `n` acquisitions per `period`.
    ///
    /// # Panics
    ///
    /// If `n` is 0 (nothing could ever pass).
    #[track_caller]
    pub fn per(n: usize, period: Duration) -> Self {
        assert!(
            n > 0,
            "`RateLimiter::per(0, …)`: nothing could ever pass; use at least 1"
        );
        RateLimiter {
            inner: Arc::new(Bucket {
                n,
                period,
                turns: Mutex::new(VecDeque::new()),
            }),
        }
    }

    /// When a turn asked for at `now` may pass: at once while fewer than `n` turns were
    /// taken in the last `period`, else when the oldest of the last `n` is a `period` old.
    fn next_turn(&self, turns: &VecDeque<Instant>, now: Instant) -> Instant {
        match turns.front() {
            Some(&oldest) if turns.len() >= self.inner.n => oldest
                .checked_add(self.inner.period)
                .unwrap_or(oldest)
                .max(now),
            _ => now,
        }
    }

    /// Reserves the next turn: its time, and the turn it pushed out of the window.
    fn reserve(&self, now: Instant) -> (Instant, Option<Instant>) {
        let mut turns = self.inner.turns.lock();
        let at = self.next_turn(&turns, now);
        let out = if turns.len() >= self.inner.n {
            turns.pop_front()
        } else {
            None
        };
        turns.push_back(at);
        (at, out)
    }

    /// Waits for a turn, and takes it.
    pub async fn acquire(&self) {
        let now = Instant::now();
        let (at, out) = self.reserve(now);
        if at <= now {
            return;
        }
        let mut refund = Refund {
            bucket: &self.inner,
            turn: Some((at, out)),
        };
        tokio::time::sleep_until(at).await;
        refund.turn = None;
    }

    /// Takes a turn if one is free now.
    pub fn try_acquire(&self) -> bool {
        let now = Instant::now();
        let mut turns = self.inner.turns.lock();
        if self.next_turn(&turns, now) > now {
            return false;
        }
        if turns.len() >= self.inner.n {
            turns.pop_front();
        }
        turns.push_back(now);
        true
    }
}

/// Gives a dropped waiter's turn back, if it is still the last one reserved.
struct Refund<'a> {
    bucket: &'a Bucket,
    /// The reserved turn, and the one it pushed out of the window.
    turn: Option<(Instant, Option<Instant>)>,
}

impl Drop for Refund<'_> {
    fn drop(&mut self) {
        if let Some((at, out)) = self.turn {
            let mut turns = self.bucket.turns.lock();
            if turns.back() == Some(&at) {
                turns.pop_back();
                if let Some(out) = out {
                    turns.push_front(out);
                }
            }
        }
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("n", &self.inner.n)
            .field("period", &self.inner.period)
            .finish()
    }
}

/// Waits for a count of things to be done, as Go's `sync.WaitGroup`: [`add`](Self::add)
/// before starting them, [`done`](Self::done) as each finishes, [`wait`](Self::wait) for
/// the count to reach zero.
///
/// Cloning gives another handle to the same count.
///
/// # Panics
///
/// [`done`](Self::done) more times than [`add`](Self::add)ed panics — "`WaitGroup::done`
/// called more times than `add`" — as Go's does: it is a bug in the caller, and an error
/// value nobody checks would hide it. The count stays at zero.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goscope::WaitGroup;
///
/// let wg = WaitGroup::new();
/// for i in 0..3 {
///     wg.add(1);
///     let wg = wg.clone();
///     goscope::go(async move {
///         let _ = i; // … work …
///         wg.done();
///     })
///     .detach();
/// }
/// wg.wait().await;
/// assert_eq!(wg.count(), 0);
/// # }
/// ```
#[derive(Clone, Default)]
pub struct WaitGroup {
    inner: Arc<Group>,
}

#[derive(Default)]
struct Group {
    count: AtomicUsize,
    zero: Notify,
}

impl WaitGroup {
    /// A group with a count of zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `n` to the count.
    pub fn add(&self, n: usize) {
        self.inner.count.fetch_add(n, Ordering::AcqRel);
    }

    /// Takes one from the count; at zero, wakes every waiter.
    ///
    /// # Panics
    ///
    /// If the count is already zero.
    #[track_caller]
    pub fn done(&self) {
        let taken = self
            .inner
            .count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        match taken {
            Ok(1) => self.inner.zero.notify_waiters(),
            Ok(_) => {}
            Err(_) => panic!("`WaitGroup::done` called more times than `add`"),
        }
    }

    /// The count now.
    pub fn count(&self) -> usize {
        self.inner.count.load(Ordering::Acquire)
    }

    /// Waits until the count is zero (at once if it is).
    pub async fn wait(&self) {
        loop {
            let zero = self.inner.zero.notified();
            let mut zero = std::pin::pin!(zero);
            // Registered before the check, so a `done` between the two is not missed.
            zero.as_mut().enable();
            if self.count() == 0 {
                return;
            }
            zero.await;
        }
    }

    /// Blocks this thread until the count is zero: Go's `wg.Wait()` for a plain thread
    /// (no runtime needed).
    ///
    /// # Panics
    ///
    /// Inside a goscope task (`.await` [`wait`](Self::wait) there), as
    /// [`Task::wait_blocking`](crate::Task::wait_blocking).
    ///
    /// ```
    /// let wg = goscope::WaitGroup::new();
    /// wg.add(2);
    /// let workers: Vec<_> = (0..2)
    ///     .map(|_| {
    ///         let wg = wg.clone();
    ///         std::thread::spawn(move || wg.done())
    ///     })
    ///     .collect();
    /// wg.wait_blocking();
    /// assert_eq!(wg.count(), 0);
    /// # for w in workers { w.join().unwrap(); }
    /// ```
    pub fn wait_blocking(&self) {
        crate::task::wait_blocking(self.wait(), "WaitGroup::wait_blocking", "`wait()`");
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup")
            .field("count", &self.count())
            .finish()
    }
}
