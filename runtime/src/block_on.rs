//! A minimal executor for one future on a thread outside any runtime: park until woken.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    /// This thread's unparking waker, made once: blocking channel operations then cost
    /// no allocation.
    static WAKER: Waker = Waker::from(Arc::new(Unparker(thread::current())));
}

/// Polls `fut` on this thread, parking between wake-ups, until it is ready.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    let waker = WAKER
        .try_with(Waker::clone)
        .unwrap_or_else(|_| Waker::from(Arc::new(Unparker(thread::current()))));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        // A spurious unpark only costs one more poll.
        thread::park();
    }
}
