//! Tasks: spawn + await and spawn + drop, goscope against plain Tokio.
//!
//! Each iteration starts 10,000 tasks on a 2-worker multi-thread runtime built outside
//! the timing, and checks a checksum of what came back. The spawning loop itself runs in a
//! task on that runtime (`in_runtime`), as spawning code does in a service: only the two
//! workers are busy, not a third `block_on` thread competing with them for two cores.
//!
//! Run: `cargo bench -p goscope-benches --bench tasks`

use std::future::Future;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use goscope_benches::{in_runtime, runtime};
use tokio::runtime::RuntimeMetrics;

const N: u64 = 10_000;
const CHECKSUM: u64 = N * (N - 1) / 2;

#[goscope::go]
async fn identity(i: u64) -> u64 {
    black_box(i)
}

/// Waits until the only task alive is the caller's own.
async fn settle(metrics: RuntimeMetrics) {
    while metrics.num_alive_tasks() > 1 {
        tokio::task::yield_now().await;
    }
}

/// A task body with about 100 bytes of state, like a typical handler's future: the size
/// at which Tokio's task cell has room for goscope's 16 bytes of task identity.
fn typical_body(i: u64) -> impl Future<Output = u64> + Send + 'static {
    let state = [i; 12];
    async move { black_box(state)[0] }
}

/// The same body as a `#[go]` fn.
#[goscope::go]
async fn typical_go(i: u64) -> u64 {
    let state = [i; 12];
    black_box(state)[0]
}

macro_rules! spawn_await_group {
    ($c:expr, $rt:expr, $group:literal, $tokio:expr, $go:expr, $go_fn:expr) => {{
        let mut group = $c.benchmark_group($group);
        group.bench_function("tokio::spawn", |b| {
            b.iter(|| {
                in_runtime($rt, async {
                    let handles: Vec<_> = (0..N).map($tokio).collect();
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
                in_runtime($rt, async {
                    let tasks: Vec<_> = (0..N).map($go).collect();
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
                in_runtime($rt, async {
                    let tasks: Vec<_> = (0..N).map($go_fn).collect();
                    let mut sum = 0;
                    for t in tasks {
                        sum += t.await.unwrap();
                    }
                    assert_eq!(sum, CHECKSUM);
                })
            })
        });
        group.finish();
    }};
}

/// Spawns `N` tasks, then awaits them in order: a trivial 16-byte body, then a typical
/// ~100-byte one.
fn spawn_await(c: &mut Criterion) {
    let rt = runtime();
    spawn_await_group!(
        c,
        &rt,
        "spawn_await_10k",
        |i| tokio::spawn(async move { black_box(i) }),
        |i| goscope::go(async move { black_box(i) }),
        identity
    );
    spawn_await_group!(
        c,
        &rt,
        "spawn_await_10k_typical",
        |i| tokio::spawn(typical_body(i)),
        |i| goscope::go(typical_body(i)),
        typical_go
    );
}

/// Spawns `N` tasks and cancels each by dropping its handle (`abort` for Tokio, whose
/// handles detach on drop), then waits until the runtime has reclaimed every task.
fn spawn_drop(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("spawn_drop_10k");
    group.bench_function("tokio::spawn+abort", |b| {
        b.iter(|| {
            in_runtime(
                &rt,
                settle_after(rt.metrics(), || {
                    for i in 0..N {
                        tokio::spawn(async move { black_box(i) }).abort();
                    }
                }),
            )
        })
    });
    group.bench_function("goscope::go+drop", |b| {
        b.iter(|| {
            in_runtime(
                &rt,
                settle_after(rt.metrics(), || {
                    for i in 0..N {
                        drop(goscope::go(async move { black_box(i) }));
                    }
                }),
            )
        })
    });
    group.finish();
}

/// Runs `spawn`, then waits for every task it started to be gone.
async fn settle_after(metrics: RuntimeMetrics, spawn: impl FnOnce()) {
    spawn();
    settle(metrics).await;
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(60)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8))
}

criterion_group! {
    name = benches;
    config = config();
    targets = spawn_await, spawn_drop
}
criterion_main!(benches);
