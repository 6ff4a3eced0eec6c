//! The process's one timer thread, for the [`After`](crate::After)s made outside a Tokio
//! runtime (a `select_blocking!` on a plain thread). SPEC: one shared timer thread for the
//! whole process; a case that loses leaves no thread or timer behind.
//!
//! # Design
//!
//! The thread is started once, at the first registration, and lives as long as the
//! process (as Go's timer goroutine does). It keeps the pending timers in a `BTreeMap`
//! ordered by `(deadline, id)` under one lock, and sleeps on a condition variable until the
//! earliest deadline (or until a new, earlier one is registered). A timer is an `Arc` its
//! `After` shares with the map entry's `Weak`: the thread sets `fired` and wakes the
//! registered waker when the deadline passes.
//!
//! # Invariants
//!
//! 1. At most one timer thread per process, whatever the number of timers.
//! 2. A registration removes its entry when dropped (a losing `select!` case), so the map
//!    holds exactly the timers still waited on; nothing is left behind.
//! 3. No lost wake-up: the thread sets `fired` (`Release`) before it wakes; a poll
//!    registers its waker before it reads `fired` (`Acquire`), so a fire that lands between
//!    the two is seen by the read, and one after it wakes the registered waker.
//! 4. Wakers run with the lock released: a waker that registers another timer (or drops
//!    one) cannot deadlock the thread.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::Instant;

use futures_util::task::AtomicWaker;

/// What the thread shares with one `After`.
#[derive(Debug, Default)]
struct Timer {
    waker: AtomicWaker,
    fired: AtomicBool,
}

/// The pending timers, earliest first.
type Pending = BTreeMap<(Instant, u64), Weak<Timer>>;

struct Shared {
    pending: Mutex<Pending>,
    changed: Condvar,
    ids: AtomicU64,
}

/// The shared state, with its thread started on first use.
fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    static STARTED: std::sync::Once = std::sync::Once::new();
    let shared = SHARED.get_or_init(|| Shared {
        pending: Mutex::new(BTreeMap::new()),
        changed: Condvar::new(),
        ids: AtomicU64::new(0),
    });
    STARTED.call_once(|| {
        std::thread::Builder::new()
            .name("goscope-timer".into())
            .spawn(move || run(shared))
            .expect("goscope could not start its timer thread");
    });
    shared
}

/// The timer thread: fires every due timer, then sleeps until the next deadline.
fn run(shared: &'static Shared) {
    let lock = |m: &'static Mutex<Pending>| m.lock().unwrap_or_else(PoisonError::into_inner);
    let mut pending = lock(&shared.pending);
    loop {
        let now = Instant::now();
        let mut due = Vec::new();
        while let Some(entry) = pending.first_entry() {
            if entry.key().0 > now {
                break;
            }
            due.push(entry.remove());
        }
        if !due.is_empty() {
            drop(pending);
            for timer in due.iter().filter_map(Weak::upgrade) {
                timer.fired.store(true, Ordering::Release);
                timer.waker.wake();
            }
            pending = lock(&shared.pending);
            continue;
        }
        pending = match pending.first_key_value() {
            None => shared
                .changed
                .wait(pending)
                .unwrap_or_else(PoisonError::into_inner),
            Some((&(at, _), _)) => {
                shared
                    .changed
                    .wait_timeout(pending, at - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
        };
    }
}

/// One `After`'s place on the timer thread; dropping it takes the timer off.
#[derive(Debug)]
pub(crate) struct Registration {
    timer: Arc<Timer>,
    key: (Instant, u64),
}

impl Registration {
    /// Puts a timer for `deadline` on the thread.
    pub(crate) fn new(deadline: Instant) -> Self {
        let shared = shared();
        let timer = Arc::new(Timer::default());
        let key = (deadline, shared.ids.fetch_add(1, Ordering::Relaxed));
        let mut pending = shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let earliest = pending
            .first_key_value()
            .is_none_or(|(&first, _)| key < first);
        pending.insert(key, Arc::downgrade(&timer));
        drop(pending);
        if earliest {
            shared.changed.notify_one();
        }
        Registration { timer, key }
    }

    /// Ready once the thread has fired the timer; otherwise wakes `cx` when it does.
    pub(crate) fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.timer.waker.register(cx.waker());
        if self.timer.fired.load(Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        shared()
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}
