//! A minimal executor for one future on a thread outside any runtime.
//!
//! After a `Pending` poll it first backs off briefly — spinning, then yielding the CPU,
//! like crossbeam's `Backoff::snooze` — and re-polls as soon as it is woken; only if no
//! wake comes within that budget (a few microseconds) does it park the thread. A
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
/// Park after this step.
const YIELD_LIMIT: u32 = 10;

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
    for step in 0..=YIELD_LIMIT {
        if unparker.notified.load(Ordering::Acquire) {
            return;
        }
        if step <= SPIN_LIMIT {
            for _ in 0..1u32 << step {
                std::hint::spin_loop();
            }
        } else {
            thread::yield_now();
        }
    }
    // A wake that came before this still left its unpark token: `park` returns at once.
    while !unparker.notified.load(Ordering::Acquire) {
        thread::park();
    }
}
