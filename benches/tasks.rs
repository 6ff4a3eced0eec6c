//! Tasks: spawn + await and spawn + drop, goscope against plain Tokio.
//!
//! Each iteration starts 10,000 tasks on a 2-worker multi-thread runtime built outside
//! the timing, from inside `block_on`, and checks a checksum of what came back.
//!
//! Run: `cargo bench -p goscope-benches --bench tasks`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tokio::runtime::Runtime;

const N: u64 = 10_000;
const CHECKSUM: u64 = N * (N - 1) / 2;

#[goscope::go]
async fn double(i: u64) -> u64 {
    black_box(i)
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

/// Spawns `N` tasks with `spawn`, then awaits them in order.
fn spawn_await(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("spawn_await_10k");
    group.bench_function("tokio::spawn", |b| {
        b.iter(|| {
            rt.block_on(async {
                let handles: Vec<_> = (0..N)
                    .map(|i| tokio::spawn(async move { black_box(i) }))
                    .collect();
                let mut sum = 0;
                for h in handles {
                    sum += h.await.unwrap();
                }
                assert_eq!(sum, CHECKSUM);
            })
        })
    });
    group.bench_function("goscope::go", |b| {
        b.iter(|| {
            rt.block_on(async {
                let tasks: Vec<_> = (0..N)
                    .map(|i| goscope::go(async move { black_box(i) }))
                    .collect();
                let mut sum = 0;
                for t in tasks {
                    sum += t.await.unwrap();
                }
                assert_eq!(sum, CHECKSUM);
            })
        })
    });
    group.bench_function("#[go] fn", |b| {
        b.iter(|| {
            rt.block_on(async {
                let tasks: Vec<_> = (0..N).map(double).collect();
                let mut sum = 0;
                for t in tasks {
                    sum += t.await.unwrap();
                }
                assert_eq!(sum, CHECKSUM);
            })
        })
    });
    group.finish();
}

/// Spawns `N` tasks and cancels each by dropping its handle (`abort` for Tokio, whose
/// handles detach on drop), then waits until the runtime has reclaimed every task.
fn spawn_drop(c: &mut Criterion) {
    let rt = runtime();
    let metrics = rt.metrics();
    let settle = || async {
        while metrics.num_alive_tasks() > 0 {
            tokio::task::yield_now().await;
        }
    };
    let mut group = c.benchmark_group("spawn_drop_10k");
    group.bench_function("tokio::spawn+abort", |b| {
        b.iter(|| {
            rt.block_on(async {
                for i in 0..N {
                    tokio::spawn(async move { black_box(i) }).abort();
                }
                settle().await;
            })
        })
    });
    group.bench_function("goscope::go+drop", |b| {
        b.iter(|| {
            rt.block_on(async {
                for i in 0..N {
                    drop(goscope::go(async move { black_box(i) }));
                }
                settle().await;
            })
        })
    });
    group.finish();
}

criterion_group!(benches, spawn_await, spawn_drop);
criterion_main!(benches);
