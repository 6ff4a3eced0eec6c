//! `scope!` against the hand-written Tokio it replaces.
//!
//! - `scope_spawn_10k`: 10,000 `'static` children spawned and joined: `tokio::task::JoinSet`
//!   (spawn, then `join_next` until empty) vs `scope!` with `s.spawn` (the handles
//!   dropped; the scope waits for every child).
//! - `scope_local_10k`: 10,000 children that borrow a shared slice, polled in the calling
//!   task: `FuturesUnordered` (no per-child result), `FuturesUnordered` with a oneshot
//!   handle per child (what `spawn_local` gives, by hand) vs `scope!` with `s.spawn_local`.
//! - `scope_cancel_1k`: the first error among 1,000 pending siblings, from the failing
//!   child's start to the scope's return (every sibling cancelled and dropped): a
//!   `JoinSet` whose failure aborts the rest (`abort_all`, then drain) vs `scope!`.
//!
//! Each iteration runs as a task on a 2-worker runtime; sums are checked.
//!
//! Run: `cargo bench -p goscope-benches --bench scope 2>&1 | python3 benches/scripts/ratios.py`

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::stream::{FuturesUnordered, StreamExt};
use goscope::{Error, scope};
use goscope_benches::{config, in_runtime, runtime};
use tokio::task::JoinSet;

const N: u64 = 10_000;

fn spawn_10k(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("scope_spawn_10k");
    group.bench_function("tokio JoinSet", |b| {
        b.iter(|| {
            in_runtime(&rt, async {
                let mut set = JoinSet::new();
                for i in 0..N {
                    set.spawn(async move { std::hint::black_box(i) });
                }
                let mut sum = 0;
                while let Some(v) = set.join_next().await {
                    sum += v.unwrap();
                }
                assert_eq!(sum, N * (N - 1) / 2);
            })
        })
    });
    group.bench_function("scope! spawn", |b| {
        b.iter(|| {
            in_runtime(&rt, async {
                let out: Result<u64, Error> = scope!(|s| {
                    let handles: Vec<_> = (0..N)
                        .map(|i| s.spawn(async move { Ok(std::hint::black_box(i)) }))
                        .collect();
                    let mut sum = 0;
                    for h in handles {
                        sum += h.await?;
                    }
                    Ok(sum)
                });
                assert_eq!(out.unwrap(), N * (N - 1) / 2);
            })
        })
    });
    group.finish();
}

fn local_10k(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("scope_local_10k");
    group.bench_function("FuturesUnordered", |b| {
        b.iter(|| {
            in_runtime(&rt, async {
                let data: Vec<u64> = (0..N).collect();
                let mut set: FuturesUnordered<_> = data
                    .iter()
                    .map(|v| async move { std::hint::black_box(*v) })
                    .collect();
                let mut sum = 0;
                while let Some(v) = set.next().await {
                    sum += v;
                }
                assert_eq!(sum, N * (N - 1) / 2);
            })
        })
    });
    group.bench_function("scope! spawn_local", |b| {
        b.iter(|| {
            in_runtime(&rt, async {
                let data: Vec<u64> = (0..N).collect();
                let out: Result<u64, Error> = scope!(|s| {
                    let handles: Vec<_> = data
                        .iter()
                        .map(|v| s.spawn_local(async move { Ok(std::hint::black_box(*v)) }))
                        .collect();
                    let mut sum = 0;
                    for h in handles {
                        sum += h.await?;
                    }
                    Ok(sum)
                });
                assert_eq!(out.unwrap(), N * (N - 1) / 2);
            })
        })
    });
    group.bench_function("FuturesUnordered + oneshot handles", |b| {
        b.iter(|| {
            in_runtime(&rt, async {
                // What `spawn_local` gives, by hand: each child's own result through a
                // handle the caller awaits in order, while the set polls the children.
                let data: Vec<u64> = (0..N).collect();
                let mut handles = Vec::with_capacity(data.len());
                let mut set: FuturesUnordered<_> = data
                    .iter()
                    .map(|v| {
                        let (tx, rx) = tokio::sync::oneshot::channel();
                        handles.push(rx);
                        async move {
                            let _ = tx.send(std::hint::black_box(*v));
                        }
                    })
                    .collect();
                while set.next().await.is_some() {}
                let mut sum = 0;
                for h in handles {
                    sum += h.await.unwrap();
                }
                assert_eq!(sum, N * (N - 1) / 2);
            })
        })
    });
    group.finish();
}

fn cancel_1k(c: &mut Criterion) {
    const SIBLINGS: usize = 1_000;
    let rt = runtime();
    let mut group = c.benchmark_group("scope_cancel_1k");
    group.bench_function("tokio JoinSet + abort_all", |b| {
        b.iter(|| {
            in_runtime(&rt, async {
                let mut set = JoinSet::new();
                for _ in 0..SIBLINGS {
                    set.spawn(async {
                        std::future::pending::<()>().await;
                        Ok::<(), &str>(())
                    });
                }
                set.spawn(async { Err("failed") });
                let mut first = None;
                while let Some(r) = set.join_next().await {
                    if let Ok(Err(e)) = r
                        && first.is_none()
                    {
                        first = Some(e);
                        set.abort_all();
                    }
                }
                assert_eq!(first, Some("failed"));
            })
        })
    });
    group.bench_function("scope!", |b| {
        b.iter(|| {
            in_runtime(&rt, async {
                let out: Result<(), Error> = scope!(|s| {
                    for _ in 0..SIBLINGS {
                        s.spawn(async {
                            std::future::pending::<()>().await;
                            Ok(())
                        });
                    }
                    s.spawn(async { Err::<(), _>(Error::TimedOut(Duration::ZERO)) });
                    Ok(())
                });
                assert!(matches!(out, Err(Error::TimedOut(_))));
            })
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = spawn_10k, local_10k, cancel_1k
}
criterion_main!(benches);
