//! Generators against a hand-written iterator and the peer crates.
//!
//! - `sync_sum_1m`: the sum of 1,000,000 items: a hand-written `Iterator`, genawaiter's
//!   `sync::Gen`, goscope's `#[generator]` fn and `iter!`.
//! - `async_sum_1m`: the same from a stream: async-stream's `stream!`, goscope's `async`
//!   `#[generator]` fn and `stream!` (each body awaits nothing but its yields).
//!
//! Run: `cargo bench -p goscope-benches --bench generator 2>&1 | python3 benches/scripts/ratios.py`

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::StreamExt;
use goscope::{AsyncGenerator, Generator, generator, yield_};
use goscope_benches::config;

const N: u64 = 1_000_000;
const SUM: u64 = N * (N - 1) / 2;

/// The hand-written baseline.
struct Count {
    next: u64,
    end: u64,
}

impl Iterator for Count {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        if self.next < self.end {
            self.next += 1;
            Some(self.next - 1)
        } else {
            None
        }
    }
}

#[generator]
fn count(end: u64) -> Generator<u64> {
    let mut n = 0;
    while n < end {
        yield_!(n);
        n += 1;
    }
}

#[generator]
async fn count_async(end: u64) -> AsyncGenerator<u64> {
    let mut n = 0;
    while n < end {
        yield_!(n);
        n += 1;
    }
}

fn sync_sum(c: &mut Criterion) {
    let mut group = c.benchmark_group("sync_sum_1m");
    group.bench_function("hand-written Iterator", |b| {
        b.iter(|| {
            let sum: u64 = Count { next: 0, end: N }.map(std::hint::black_box).sum();
            assert_eq!(sum, SUM);
        })
    });
    group.bench_function("genawaiter sync::Gen", |b| {
        b.iter(|| {
            let g = genawaiter::sync::Gen::new(|co| async move {
                let mut n = 0;
                while n < N {
                    co.yield_(n).await;
                    n += 1;
                }
            });
            let sum: u64 = g.into_iter().map(std::hint::black_box).sum();
            assert_eq!(sum, SUM);
        })
    });
    group.bench_function("goscope #[generator]", |b| {
        b.iter(|| {
            let sum: u64 = count(N).map(std::hint::black_box).sum();
            assert_eq!(sum, SUM);
        })
    });
    group.bench_function("goscope iter!", |b| {
        b.iter(|| {
            let g = goscope::iter! {
                let mut n = 0;
                while n < N {
                    yield n;
                    n += 1;
                }
            };
            let sum: u64 = g.map(std::hint::black_box).sum();
            assert_eq!(sum, SUM);
        })
    });
    group.finish();
}

fn async_sum(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let mut group = c.benchmark_group("async_sum_1m");
    group.bench_function("async-stream stream!", |b| {
        b.iter(|| {
            rt.block_on(async {
                let s = async_stream::stream! {
                    let mut n = 0;
                    while n < N {
                        yield n;
                        n += 1;
                    }
                };
                let sum = s
                    .fold(0u64, |acc, v| async move { acc + std::hint::black_box(v) })
                    .await;
                assert_eq!(sum, SUM);
            })
        })
    });
    group.bench_function("goscope async #[generator]", |b| {
        b.iter(|| {
            rt.block_on(async {
                let sum = count_async(N)
                    .fold(0u64, |acc, v| async move { acc + std::hint::black_box(v) })
                    .await;
                assert_eq!(sum, SUM);
            })
        })
    });
    group.bench_function("goscope stream!", |b| {
        b.iter(|| {
            rt.block_on(async {
                let s = goscope::stream! {
                    let mut n = 0;
                    while n < N {
                        yield n;
                        n += 1;
                    }
                };
                let sum = s
                    .fold(0u64, |acc, v| async move { acc + std::hint::black_box(v) })
                    .await;
                assert_eq!(sum, SUM);
            })
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = sync_sum, async_sum
}
criterion_main!(benches);
