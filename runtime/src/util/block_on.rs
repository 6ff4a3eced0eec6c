//! A minimal executor for one future on a thread outside any runtime.
//!
//! After a `Pending` poll it first backs off briefly — spinning, then yielding the CPU,
//! like crossbeam's `Backoff::snooze` — and re-polls as soon as it is woken; only if no
//! wake comes within that budget (about 20 µs) does it park the thread. A
//! hand-off between two busy threads then costs no sleep and wake-up (tens of
//! microseconds each on Linux), while an idle wait still sleeps.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Spin `2^step` times per step up to this step, then yield.
const SPIN_LIMIT: u32 = 6;
/// Yield for at most this long, or [`MAX_YIELDS`] times, before parking: about what a
/// sleep and wake-up cost, so a counterpart that answers within it saves both, and one
/// that does not has cost at most twice the wait. (kanal waits 25 µs or 256 yields.)
const YIELD_FOR: std::time::Duration = std::time::Duration::from_micros(20);
/// See [`YIELD_FOR`].
const MAX_YIELDS: u32 = 256;

struct Unparker {
    thread: Thread,
    /// Set by a wake; the blocked thread clears it before each poll.
    notified: AtomicBool,
}

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.notified.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

thread_local! {
    /// This thread's waker, made once: blocking channel operations then cost no
    /// allocation.
    static UNPARKER: Arc<Unparker> = Arc::new(Unparker {
        thread: thread::current(),
        notified: AtomicBool::new(false),
    });
}

/// Polls `fut` on this thread until it is ready: backing off, then parking, between polls.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    let unparker = UNPARKER.try_with(Arc::clone).unwrap_or_else(|_| {
        Arc::new(Unparker {
            thread: thread::current(),
            notified: AtomicBool::new(false),
        })
    });
    let waker = Waker::from(unparker.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        unparker.notified.store(false, Ordering::Relaxed);
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        wait(&unparker);
    }
}

/// Returns once `unparker` was notified (or spuriously): spin, yield, then park.
fn wait(unparker: &Unparker) {
    for step in 0..=SPIN_LIMIT {
        if unparker.notified.load(Ordering::Acquire) {
            return;
        }
        for _ in 0..1u32 << step {
            std::hint::spin_loop();
        }
    }
    let start = std::time::Instant::now();
    for yields in 0..MAX_YIELDS {
        if unparker.notified.load(Ordering::Acquire) {
            return;
        }
        // Yielding gives the CPU to whoever will wake us when the cores are all busy
        // (oversubscribed); checked against the clock every 16 yields.
        thread::yield_now();
        if yields % 16 == 15 && start.elapsed() >= YIELD_FOR {
            break;
        }
    }
    // A wake that came before this still left its unpark token: `park` returns at once.
    while !unparker.notified.load(Ordering::Acquire) {
        thread::park();
    }
}
