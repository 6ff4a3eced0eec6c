//! loom models of a large set's wake-ups (invariant 3 of `set.rs`): futures woken from
//! other threads while the set polls, in every interleaving; a lost wake-up would leave
//! `block_on` parked forever, which loom reports as a deadlock.
//!
//! Run: `RUSTFLAGS="--cfg goscope_loom" cargo test -p goscope --lib --release loom`

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use loom::future::block_on;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;

use super::SMALL;
use crate::combinators::join::all;
use crate::combinators::race::race;
use crate::loom::AtomicWaker;

/// Set by another thread, which then wakes whoever waits.
#[derive(Default)]
struct Signal {
    set: AtomicBool,
    waker: AtomicWaker,
}

impl Signal {
    fn fire(&self) {
        self.set.store(true, Ordering::Release);
        self.waker.wake();
    }
}

/// Ready with `index` at once (`None`), or once its signal is set.
struct Waits {
    index: usize,
    signal: Option<Arc<Signal>>,
}

impl Future for Waits {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let Some(signal) = &self.signal else {
            return Poll::Ready(self.index);
        };
        signal.waker.register_by_ref(cx.waker());
        match signal.set.load(Ordering::Acquire) {
            true => Poll::Ready(self.index),
            false => Poll::Pending,
        }
    }
}

/// `len` futures, the one at each index of `waiting` waiting for a signal of its own,
/// fired by a thread of its own while `check` runs the set.
fn model<const N: usize>(len: usize, waiting: [usize; N], check: fn(Vec<Waits>)) {
    loom::model(move || {
        // A race's start is random: the same in every execution, so the model is
        // deterministic.
        crate::util::rand::seed(1);
        let signals = waiting.map(|_| Arc::new(Signal::default()));
        let futures = (0..len)
            .map(|index| Waits {
                index,
                signal: waiting
                    .iter()
                    .position(|&w| w == index)
                    .map(|k| Arc::clone(&signals[k])),
            })
            .collect();
        let threads = signals.map(|signal| thread::spawn(move || signal.fire()));
        check(futures);
        for thread in threads {
            thread.join().unwrap();
        }
    });
}

#[test]
fn loom_a_large_join_sees_a_wake_up_from_another_thread() {
    model(SMALL + 1, [7], |futures| {
        assert_eq!(block_on(all(futures)), (0..=SMALL).collect::<Vec<_>>());
    });
}

#[test]
fn loom_a_large_join_sees_two_wake_ups_in_one_word() {
    model(SMALL + 1, [3, 17], |futures| {
        assert_eq!(block_on(all(futures)).len(), SMALL + 1);
    });
}

#[test]
fn loom_a_large_race_is_won_by_the_future_woken() {
    // Every other future is never ready: the race ends only through the wake-up.
    model(SMALL + 1, [SMALL], |futures| {
        let futures = futures.into_iter().map(|mut fut| {
            fut.signal
                .get_or_insert_with(|| Arc::new(Signal::default()));
            fut
        });
        assert_eq!(block_on(race(futures)), SMALL);
    });
}
