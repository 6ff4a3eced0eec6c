//! `all!` and `race!` against the hand-written joins and selects they replace, and the
//! set functions against `join_all` and `FuturesUnordered`.
//!
//! - `all_ready_4`: 10,000 joins of 4 futures that are ready at once: `tokio::join!`,
//!   `futures_concurrency`'s tuple `join`, `all!`.
//! - `all_yield_4`: the same with futures that are pending once (they wake themselves), so
//!   every join is polled twice and goes back through the scheduler.
//! - `race_4`: 10,000 races of 4 futures of which one is ready (the others never are):
//!   `tokio::select!` vs `race!`.
//! - `all_vec_10` and `all_vec_10k`: one join of 10 (10,000) futures pending once each:
//!   `futures::future::join_all`, a `FuturesUnordered` drained into a `Vec`, `goscope::all`.
//!
//! Each iteration runs as a task on a 2-worker runtime; results are checked.
//!
//! Run: `cargo bench -p goscope-benches --bench all_race 2>&1 | python3 benches/scripts/ratios.py`

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use criterion::{Criterion, criterion_group, criterion_main};
use futures_concurrency::future::Join as _;
use futures_util::stream::{FuturesUnordered, StreamExt};
use goscope::{all, race};
use goscope_benches::{config, in_runtime, runtime};

const ROUNDS: u64 = 10_000;

/// Ready with `value` at its second poll; wakes itself at the first.
struct YieldOnce {
    value: u64,
    yielded: bool,
}

fn yield_once(value: u64) -> YieldOnce {
    YieldOnce {
        value,
        yielded: false,
    }
}

impl Future for YieldOnce {
    type Output = u64;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        if self.yielded {
            Poll::Ready(self.value)
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

async fn ready(v: u64) -> u64 {
    std::hint::black_box(v)
}

fn all_ready_4(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("all_ready_4");
    group.bench_function("tokio::join!", |b| {
        b.iter(|| {
            in_runtime(&rt, async {
                let mut sum = 0;
                for i in 0..ROUNDS {
                    let (a, b, c, d) = tokio::join!(ready(i), ready(1), ready(2), ready(3));
                    sum += a + b + c + d;
                }
                assert_eq!(sum, ROUNDS * (ROUNDS - 1) / 2 + 6 * ROUNDS);
            })
        })
    });
    group.bench_function("futures_concurrency join", |b| {
        b.iter(|| {
            in_runtime(&rt, async {
                let mut sum = 0;
                for i in 0..ROUNDS {
                    let (a, b, c, d) = (ready(i), ready(1), ready(2), ready(3)).join().await;
                    sum += a + b + c + d;
                }
                assert_eq!(sum, ROUNDS * (ROUNDS - 1) / 2 + 6 * ROUNDS);
            })
        })
    });
    group.bench_function("goscope all!", |b| {
        b.iter(|| {
            in_runtime(&rt, async {
                let mut sum = 0;
                for i in 0..ROUNDS {
                    let (a, b, c, d) = all!(ready(i), ready(1), ready(2), ready(3));
                    sum += a + b + c + d;
                }
                assert_eq!(sum, ROUNDS * (ROUNDS - 1) / 2 + 6 * ROUNDS);
            })
        })
    });
    group.finish();
}

fn all_yield_4(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("all_yield_4");
    group.bench_function("tokio::join!", |b| {
        b.iter(|| {
            in_runtime(&rt, async {
                let mut sum = 0;
                for i in 0..ROUNDS {
                    let (a, b, c, d) =
                        tokio::join!(yield_once(i), yield_once(1), yield_once(2), yield_once(3));
                    sum += a + b + c + d;
                }
                assert_eq!(sum, ROUNDS * (ROUNDS - 1) / 2 + 6 * ROUNDS);
            })
        })
    });
    group.bench_function("futures_concurrency join", |b| {
        b.iter(|| {
            in_runtime(&rt, async {
                let mut sum = 0;
                for i in 0..ROUNDS {
                    let (a, b, c, d) = (yield_once(i), yield_once(1), yield_once(2), yield_once(3))
                        .join()
                        .await;
                    sum += a + b + c + d;
                }
                assert_eq!(sum, ROUNDS * (ROUNDS - 1) / 2 + 6 * ROUNDS);
            })
        })
    });
    group.bench_function("goscope all!", |b| {
        b.iter(|| {
            in_runtime(&rt, async {
                let mut sum = 0;
                for i in 0..ROUNDS {
                    let (a, b, c, d) =
                        all!(yield_once(i), yield_once(1), yield_once(2), yield_once(3));
                    sum += a + b + c + d;
                }
                assert_eq!(sum, ROUNDS * (ROUNDS - 1) / 2 + 6 * ROUNDS);
            })
        })
    });
    group.finish();
}

fn race_4(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("race_4");
    group.bench_function("tokio::select!", |b| {
        b.iter(|| {
            in_runtime(&rt, async {
                let mut sum = 0;
                for i in 0..ROUNDS {
                    sum += tokio::select! {
                        v = std::future::pending::<u64>() => v,
                        v = ready(i) => v,
                        v = std::future::pending::<u64>() => v,
                        v = std::future::pending::<u64>() => v,
                    };
                }
                assert_eq!(sum, ROUNDS * (ROUNDS - 1) / 2);
            })
        })
    });
    group.bench_function("goscope race!", |b| {
        b.iter(|| {
            in_runtime(&rt, async {
                let mut sum = 0;
                for i in 0..ROUNDS {
                    sum += race!(
                        std::future::pending::<u64>(),
                        ready(i),
                        std::future::pending::<u64>(),
                        std::future::pending::<u64>(),
                    );
                }
                assert_eq!(sum, ROUNDS * (ROUNDS - 1) / 2);
            })
        })
    });
    group.finish();
}

fn all_vec(c: &mut Criterion, name: &str, n: u64, rounds: u64) {
    let rt = runtime();
    let mut group = c.benchmark_group(name);
    let expected = rounds * n * (n - 1) / 2;
    group.bench_function("futures join_all", |b| {
        b.iter(|| {
            in_runtime(&rt, async move {
                let mut sum = 0;
                for _ in 0..rounds {
                    let out = futures_util::future::join_all((0..n).map(yield_once)).await;
                    sum += out.iter().sum::<u64>();
                }
                assert_eq!(sum, expected);
            })
        })
    });
    group.bench_function("FuturesUnordered", |b| {
        b.iter(|| {
            in_runtime(&rt, async move {
                let mut sum = 0;
                for _ in 0..rounds {
                    let set: FuturesUnordered<_> = (0..n).map(yield_once).collect();
                    let out: Vec<u64> = set.collect().await;
                    sum += out.iter().sum::<u64>();
                }
                assert_eq!(sum, expected);
            })
        })
    });
    group.bench_function("goscope all", |b| {
        b.iter(|| {
            in_runtime(&rt, async move {
                let mut sum = 0;
                for _ in 0..rounds {
                    let out = goscope::all((0..n).map(yield_once)).await;
                    sum += out.iter().sum::<u64>();
                }
                assert_eq!(sum, expected);
            })
        })
    });
    group.finish();
}

fn all_vec_10(c: &mut Criterion) {
    all_vec(c, "all_vec_10", 10, 1_000);
}

fn all_vec_10k(c: &mut Criterion) {
    all_vec(c, "all_vec_10k", 10_000, 1);
}

criterion_group! {
    name = benches;
    config = config();
    targets = all_ready_4, all_yield_4, race_4, all_vec_10, all_vec_10k
}
criterion_main!(benches);
