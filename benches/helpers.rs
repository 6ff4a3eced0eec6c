//! `goscope::map` against the hand-written bounded fan-outs it replaces.
//!
//! - `map_10k_ready`: 10,000 light items (a multiply), at most 64 at a time, outputs
//!   collected: `futures_util`'s `stream::iter(..).buffer_unordered(64)` (one task, no
//!   parallelism, outputs unordered), `JoinSet` + `Semaphore` (a task per item, a permit
//!   taken before each spawn, outputs put back in order by index), and `goscope::map`
//!   (64 workers taking items from the shared iterator, outputs in order).
//! - `map_10k_yield`: the same, each item yielding to the runtime once first (an item that
//!   waits on something, as real work does).
//!
//! Each iteration runs as a task on a 2-worker runtime; sums are checked.
//!
//! Run: `cargo bench -p goscope-benches --bench helpers 2>&1 | python3 benches/scripts/ratios.py`

use std::future::Future;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::stream::{self, StreamExt};
use goscope_benches::{config, in_runtime, runtime};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const N: u64 = 10_000;
const LIMIT: usize = 64;

async fn ready(x: u64) -> u64 {
    std::hint::black_box(x * 2)
}

async fn yielding(x: u64) -> u64 {
    tokio::task::yield_now().await;
    std::hint::black_box(x * 2)
}

fn group<F, Fut>(c: &mut Criterion, name: &str, f: F)
where
    F: Fn(u64) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = u64> + Send + 'static,
{
    let rt = runtime();
    let expected = N * (N - 1);
    let mut group = c.benchmark_group(name);
    group.bench_function("buffer_unordered", |b| {
        b.iter(|| {
            in_runtime(&rt, async move {
                let out: Vec<u64> = stream::iter(0..N)
                    .map(f)
                    .buffer_unordered(LIMIT)
                    .collect()
                    .await;
                assert_eq!(out.iter().sum::<u64>(), expected);
            })
        })
    });
    group.bench_function("JoinSet + Semaphore", |b| {
        b.iter(|| {
            in_runtime(&rt, async move {
                let slots = Arc::new(Semaphore::new(LIMIT));
                let mut set = JoinSet::new();
                for (i, x) in (0..N).enumerate() {
                    let permit = Arc::clone(&slots).acquire_owned().await.unwrap();
                    set.spawn(async move {
                        let out = f(x).await;
                        drop(permit);
                        (i, out)
                    });
                }
                let mut out = vec![0; N as usize];
                while let Some(done) = set.join_next().await {
                    let (i, v) = done.unwrap();
                    out[i] = v;
                }
                assert_eq!(out.iter().sum::<u64>(), expected);
            })
        })
    });
    group.bench_function("goscope::map", |b| {
        b.iter(|| {
            in_runtime(&rt, async move {
                let out = goscope::map(0..N, LIMIT, f).await.unwrap();
                assert_eq!(out.iter().sum::<u64>(), expected);
            })
        })
    });
    group.finish();
}

fn map_10k_ready(c: &mut Criterion) {
    group(c, "map_10k_ready", ready);
}

fn map_10k_yield(c: &mut Criterion) {
    group(c, "map_10k_yield", yielding);
}

criterion_group! {
    name = benches;
    config = config();
    targets = map_10k_ready, map_10k_yield
}
criterion_main!(benches);
