//! Select: goscope's `select!` (and the `Select` builder) against `tokio::select!` and
//! crossbeam's `select!`, over the same shapes; and the cost of a select over ready
//! channels against a direct `try_recv`.
//!
//! - `select_ready_*`: a channel pre-filled with `N` values (outside the timing), then `N`
//!   receives, one per operation: `try_recv` (the baseline), `recv().await` on a ready
//!   channel (the cost of an async receive, for scale), `select!` awaited (one ready case;
//!   four cases over four ready channels), `select!` with `default`. Each async
//!   select is polled once with a no-op waker (it is ready), so no runtime is timed.
//!   Peers: `tokio::select!` over `tokio::sync::mpsc` (`biased`, so that its random start
//!   costs nothing) and crossbeam's `select!`, each against its own `try_recv`.
//! - `select_rx_*`: one consumer selecting over 4 channels (capacity 64), each fed by its
//!   own producer; M = 100,000 values in all, summed and counted. Async: tasks on a
//!   2-worker runtime; blocking: threads released by a barrier.
//! - `select_both_blocking`: 4 threads select-sending and 4 select-receiving over two
//!   rendezvous channels, M = 20,000 values: every message pairs two selects. Tokio's
//!   channels are single-consumer and its `select!` loses the value of a send that loses,
//!   so it has no such cell; `select_both_async` is goscope's macro against its own
//!   `Select` builder (the engine without the macro), as is a third `select_rx_async` row.
//!
//! Run: `cargo bench -p goscope-benches --bench select 2>&1 | tee /tmp/select-bench.txt`,
//! then `python3 benches/scripts/ratios.py < /tmp/select-bench.txt` (each group's first
//! function is its baseline).

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use futures_util::task::noop_waker_ref;
use goscope::chan;
use goscope_benches::{config, in_runtime, runtime};

/// Values per `select_ready` iteration.
const N: u64 = 1_000;
/// Values per `select_rx` iteration.
const M_RX: u64 = 100_000;
/// Values per `select_both` iteration.
const M_BOTH: u64 = 20_000;

/// Polls a future that is ready at once.
fn now<F: Future>(fut: F) -> F::Output {
    match pin!(fut).poll(&mut Context::from_waker(noop_waker_ref())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the benchmark's select was not ready"),
    }
}

fn filled(n: u64) -> chan::Receiver<u64> {
    let (tx, rx) = chan::bounded(n as usize);
    for v in 0..n {
        tx.try_send(v).unwrap();
    }
    rx
}

fn filled4(n: u64) -> Vec<chan::Receiver<u64>> {
    (0..4).map(|_| filled(n)).collect()
}

fn select_ready(c: &mut Criterion) {
    let mut group = c.benchmark_group("select_ready_goscope");
    group.bench_function("try_recv", |b| {
        b.iter_batched_ref(
            || filled(N),
            |rx| {
                for _ in 0..N {
                    black_box(rx.try_recv().unwrap());
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("recv().await (ready)", |b| {
        b.iter_batched_ref(
            || filled(N),
            |rx| {
                for _ in 0..N {
                    black_box(now(async { rx.recv().await }));
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("select! 1 case", |b| {
        b.iter_batched_ref(
            || filled(N),
            |rx| {
                for _ in 0..N {
                    black_box(now(async {
                        goscope::select! { v = recv(rx) => v }
                    }));
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("select! 1 case + default", |b| {
        b.iter_batched_ref(
            || filled(N),
            |rx| {
                for _ in 0..N {
                    black_box(goscope::select! { v = recv(rx) => v, default => None });
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("select! 4 ready cases", |b| {
        b.iter_batched_ref(
            || filled4(N),
            |rxs| {
                for _ in 0..N {
                    black_box(now(async {
                        goscope::select! {
                            v = recv(rxs[0]) => v,
                            v = recv(rxs[1]) => v,
                            v = recv(rxs[2]) => v,
                            v = recv(rxs[3]) => v,
                        }
                    }));
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("Select builder 1 case", |b| {
        b.iter_batched_ref(
            || filled(N),
            |rx| {
                for _ in 0..N {
                    let mut sel = goscope::select::Select::new();
                    sel.recv(rx, |v| v);
                    black_box(now(std::future::IntoFuture::into_future(sel)));
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("select_ready_tokio");
    let tokio_filled = || {
        let (tx, rx) = tokio::sync::mpsc::channel(N as usize);
        for v in 0..N {
            tx.try_send(v).unwrap();
        }
        (tx, rx)
    };
    group.bench_function("try_recv", |b| {
        b.iter_batched_ref(
            tokio_filled,
            |(_, rx)| {
                for _ in 0..N {
                    black_box(rx.try_recv().unwrap());
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("tokio::select! 4 ready cases", |b| {
        b.iter_batched_ref(
            || (0..4).map(|_| tokio_filled()).collect::<Vec<_>>(),
            |chans| {
                let [(_, a), (_, b), (_, c), (_, d)] = &mut chans[..] else {
                    unreachable!()
                };
                for _ in 0..N {
                    black_box(now(async {
                        tokio::select! {
                            v = a.recv() => v,
                            v = b.recv() => v,
                            v = c.recv() => v,
                            v = d.recv() => v,
                        }
                    }));
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("tokio::select! 1 case", |b| {
        b.iter_batched_ref(
            tokio_filled,
            |(_, rx)| {
                for _ in 0..N {
                    black_box(now(async {
                        tokio::select! { biased; v = rx.recv() => v }
                    }));
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("select_ready_crossbeam");
    let cb_filled = || {
        let (tx, rx) = crossbeam_channel::bounded(N as usize);
        for v in 0..N {
            tx.try_send(v).unwrap();
        }
        (tx, rx)
    };
    group.bench_function("try_recv", |b| {
        b.iter_batched_ref(
            cb_filled,
            |(_, rx)| {
                for _ in 0..N {
                    black_box(rx.try_recv().unwrap());
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("crossbeam select! 4 ready cases", |b| {
        b.iter_batched_ref(
            || (0..4).map(|_| cb_filled()).collect::<Vec<_>>(),
            |chans| {
                let [(_, a), (_, b), (_, c), (_, d)] = &chans[..] else {
                    unreachable!()
                };
                for _ in 0..N {
                    black_box(crossbeam_channel::select! {
                        recv(a) -> v => v.ok(),
                        recv(b) -> v => v.ok(),
                        recv(c) -> v => v.ok(),
                        recv(d) -> v => v.ok(),
                    });
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("crossbeam select! 1 case", |b| {
        b.iter_batched_ref(
            cb_filled,
            |(_, rx)| {
                for _ in 0..N {
                    black_box(crossbeam_channel::select! { recv(rx) -> v => v.ok() });
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

// ----- select_rx -----

async fn rx_goscope(m: u64) -> (u64, u64) {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..4).map(|_| chan::bounded::<u64>(64)).unzip();
    for (p, tx) in txs.into_iter().enumerate() {
        tokio::spawn(async move {
            for v in (p as u64..m).step_by(4) {
                tx.send(v).await.unwrap();
            }
        });
    }
    let (mut sum, mut count) = (0, 0);
    let mut open = [true; 4];
    while open.iter().any(|&o| o) {
        let got = goscope::select! {
            v = recv(rxs[0]), if open[0] => (0, v),
            v = recv(rxs[1]), if open[1] => (1, v),
            v = recv(rxs[2]), if open[2] => (2, v),
            v = recv(rxs[3]), if open[3] => (3, v),
        };
        match got {
            (_, Some(v)) => {
                sum += v;
                count += 1;
            }
            (i, None) => open[i] = false,
        }
    }
    (sum, count)
}

/// `rx_goscope` through the `Select` builder (the engine without the macro).
async fn rx_builder(m: u64) -> (u64, u64) {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..4).map(|_| chan::bounded::<u64>(64)).unzip();
    for (p, tx) in txs.into_iter().enumerate() {
        tokio::spawn(async move {
            for v in (p as u64..m).step_by(4) {
                tx.send(v).await.unwrap();
            }
        });
    }
    let (mut sum, mut count) = (0, 0);
    let mut open = [true; 4];
    while open.iter().any(|&o| o) {
        let mut sel = goscope::select::Select::new();
        for (i, rx) in rxs.iter().enumerate() {
            if open[i] {
                sel.recv(rx, move |v| (i, v));
            }
        }
        match sel.await {
            (_, Some(v)) => {
                sum += v;
                count += 1;
            }
            (i, None) => open[i] = false,
        }
    }
    (sum, count)
}

async fn rx_tokio(m: u64) -> (u64, u64) {
    let (txs, mut rxs): (Vec<_>, Vec<_>) = (0..4)
        .map(|_| tokio::sync::mpsc::channel::<u64>(64))
        .unzip();
    for (p, tx) in txs.into_iter().enumerate() {
        tokio::spawn(async move {
            for v in (p as u64..m).step_by(4) {
                tx.send(v).await.unwrap();
            }
        });
    }
    let (mut sum, mut count) = (0, 0);
    let [a, b, c, d] = &mut rxs[..] else {
        unreachable!()
    };
    loop {
        let v = tokio::select! {
            Some(v) = a.recv() => v,
            Some(v) = b.recv() => v,
            Some(v) = c.recv() => v,
            Some(v) = d.recv() => v,
            else => break,
        };
        sum += v;
        count += 1;
    }
    (sum, count)
}

fn check((sum, count): (u64, u64), m: u64) {
    assert_eq!((sum, count), (m * (m - 1) / 2, m));
}

fn rx_blocking_goscope(m: u64) -> Duration {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..4).map(|_| chan::bounded::<u64>(64)).unzip();
    let start = Arc::new(Barrier::new(5));
    let producers: Vec<_> = txs
        .into_iter()
        .enumerate()
        .map(|(p, tx)| {
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
                for v in (p as u64..m).step_by(4) {
                    tx.send_blocking(v).unwrap();
                }
            })
        })
        .collect();
    start.wait();
    let t = Instant::now();
    let (mut sum, mut count) = (0, 0);
    let mut open = [true; 4];
    while open.iter().any(|&o| o) {
        let got = goscope::select_blocking! {
            v = recv(rxs[0]), if open[0] => (0, v),
            v = recv(rxs[1]), if open[1] => (1, v),
            v = recv(rxs[2]), if open[2] => (2, v),
            v = recv(rxs[3]), if open[3] => (3, v),
        };
        match got {
            (_, Some(v)) => {
                sum += v;
                count += 1;
            }
            (i, None) => open[i] = false,
        }
    }
    let elapsed = t.elapsed();
    producers.into_iter().for_each(|p| p.join().unwrap());
    check((sum, count), m);
    elapsed
}

fn rx_blocking_crossbeam(m: u64) -> Duration {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..4)
        .map(|_| crossbeam_channel::bounded::<u64>(64))
        .unzip();
    let start = Arc::new(Barrier::new(5));
    let producers: Vec<_> = txs
        .into_iter()
        .enumerate()
        .map(|(p, tx)| {
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
                for v in (p as u64..m).step_by(4) {
                    tx.send(v).unwrap();
                }
            })
        })
        .collect();
    start.wait();
    let t = Instant::now();
    let (mut sum, mut count) = (0, 0);
    let mut open = 4;
    let never = crossbeam_channel::never();
    let mut live: Vec<_> = rxs.iter().map(Some).collect();
    while open > 0 {
        let r = |i: usize| live[i].unwrap_or(&never);
        let got = crossbeam_channel::select! {
            recv(r(0)) -> v => (0, v.ok()),
            recv(r(1)) -> v => (1, v.ok()),
            recv(r(2)) -> v => (2, v.ok()),
            recv(r(3)) -> v => (3, v.ok()),
        };
        match got {
            (_, Some(v)) => {
                sum += v;
                count += 1;
            }
            (i, None) => {
                live[i] = None;
                open -= 1;
            }
        }
    }
    let elapsed = t.elapsed();
    producers.into_iter().for_each(|p| p.join().unwrap());
    check((sum, count), m);
    elapsed
}

fn select_rx(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("select_rx_async");
    group.bench_function("tokio::select!", |b| {
        b.iter(|| in_runtime(&rt, async { check(rx_tokio(M_RX).await, M_RX) }))
    });
    group.bench_function("goscope select!", |b| {
        b.iter(|| in_runtime(&rt, async { check(rx_goscope(M_RX).await, M_RX) }))
    });
    group.bench_function("goscope Select builder", |b| {
        b.iter(|| in_runtime(&rt, async { check(rx_builder(M_RX).await, M_RX) }))
    });
    group.finish();

    let mut group = c.benchmark_group("select_rx_blocking");
    group.bench_function("crossbeam select!", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| rx_blocking_crossbeam(M_RX)).sum())
    });
    group.bench_function("goscope select_blocking!", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| rx_blocking_goscope(M_RX)).sum())
    });
    group.finish();
}

// ----- select_both -----

fn both_blocking_goscope(m: u64) -> Duration {
    let (a_tx, a) = chan::bounded::<u64>(0);
    let (b_tx, b) = chan::bounded::<u64>(0);
    let start = Arc::new(Barrier::new(9));
    let senders: Vec<_> = (0..4u64)
        .map(|p| {
            let (a_tx, b_tx, start) = (a_tx.clone(), b_tx.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                for v in (p..m).step_by(4) {
                    goscope::select_blocking! {
                        r = send(a_tx, v) => r.unwrap(),
                        r = send(b_tx, v) => r.unwrap(),
                    }
                }
            })
        })
        .collect();
    drop((a_tx, b_tx));
    let receivers: Vec<_> = (0..4)
        .map(|_| {
            let (a, b, start) = (a.clone(), b.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                let (mut sum, mut count) = (0u64, 0u64);
                loop {
                    let got = goscope::select_blocking! {
                        v = recv(a) => v,
                        v = recv(b) => v,
                    };
                    match got {
                        Some(v) => {
                            sum += v;
                            count += 1;
                        }
                        // Every sender has finished: rendezvous sends leave nothing behind.
                        None => return (sum, count),
                    }
                }
            })
        })
        .collect();
    start.wait();
    let t = Instant::now();
    senders.into_iter().for_each(|s| s.join().unwrap());
    let total = receivers
        .into_iter()
        .map(|r| r.join().unwrap())
        .fold((0, 0), |(s, c), (s2, c2)| (s + s2, c + c2));
    let elapsed = t.elapsed();
    check(total, m);
    elapsed
}

fn both_blocking_crossbeam(m: u64) -> Duration {
    let (a_tx, a) = crossbeam_channel::bounded::<u64>(0);
    let (b_tx, b) = crossbeam_channel::bounded::<u64>(0);
    let start = Arc::new(Barrier::new(9));
    let senders: Vec<_> = (0..4u64)
        .map(|p| {
            let (a_tx, b_tx, start) = (a_tx.clone(), b_tx.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                for v in (p..m).step_by(4) {
                    crossbeam_channel::select! {
                        send(a_tx, v) -> r => r.unwrap(),
                        send(b_tx, v) -> r => r.unwrap(),
                    }
                }
            })
        })
        .collect();
    drop((a_tx, b_tx));
    let receivers: Vec<_> = (0..4)
        .map(|_| {
            let (a, b, start) = (a.clone(), b.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                let (mut sum, mut count) = (0u64, 0u64);
                loop {
                    let got = crossbeam_channel::select! {
                        recv(a) -> v => v.ok(),
                        recv(b) -> v => v.ok(),
                    };
                    match got {
                        Some(v) => {
                            sum += v;
                            count += 1;
                        }
                        None => return (sum, count),
                    }
                }
            })
        })
        .collect();
    start.wait();
    let t = Instant::now();
    senders.into_iter().for_each(|s| s.join().unwrap());
    let total = receivers
        .into_iter()
        .map(|r| r.join().unwrap())
        .fold((0, 0), |(s, c), (s2, c2)| (s + s2, c + c2));
    let elapsed = t.elapsed();
    check(total, m);
    elapsed
}

async fn both_async_goscope(m: u64) {
    let (a_tx, a) = chan::bounded::<u64>(0);
    let (b_tx, b) = chan::bounded::<u64>(0);
    let senders: Vec<_> = (0..4u64)
        .map(|p| {
            let (a_tx, b_tx) = (a_tx.clone(), b_tx.clone());
            tokio::spawn(async move {
                for v in (p..m).step_by(4) {
                    goscope::select! {
                        r = send(a_tx, v) => r.unwrap(),
                        r = send(b_tx, v) => r.unwrap(),
                    }
                }
            })
        })
        .collect();
    drop((a_tx, b_tx));
    let receivers: Vec<_> = (0..4)
        .map(|_| {
            let (a, b) = (a.clone(), b.clone());
            tokio::spawn(async move {
                let (mut sum, mut count) = (0u64, 0u64);
                loop {
                    let got = goscope::select! {
                        v = recv(a) => v,
                        v = recv(b) => v,
                    };
                    match got {
                        Some(v) => {
                            sum += v;
                            count += 1;
                        }
                        None => return (sum, count),
                    }
                }
            })
        })
        .collect();
    for s in senders {
        s.await.unwrap();
    }
    let mut total = (0, 0);
    for r in receivers {
        let (s, c) = r.await.unwrap();
        total = (total.0 + s, total.1 + c);
    }
    check(total, m);
}

/// `both_async_goscope` through the `Select` builder.
async fn both_async_builder(m: u64) {
    let (a_tx, a) = chan::bounded::<u64>(0);
    let (b_tx, b) = chan::bounded::<u64>(0);
    let senders: Vec<_> = (0..4u64)
        .map(|p| {
            let (a_tx, b_tx) = (a_tx.clone(), b_tx.clone());
            tokio::spawn(async move {
                for v in (p..m).step_by(4) {
                    let mut sel = goscope::select::Select::new();
                    sel.send(&a_tx, move || v, |r| r.unwrap());
                    sel.send(&b_tx, move || v, |r| r.unwrap());
                    sel.await;
                }
            })
        })
        .collect();
    drop((a_tx, b_tx));
    let receivers: Vec<_> = (0..4)
        .map(|_| {
            let (a, b) = (a.clone(), b.clone());
            tokio::spawn(async move {
                let (mut sum, mut count) = (0u64, 0u64);
                loop {
                    let mut sel = goscope::select::Select::new();
                    sel.recv(&a, |v| v);
                    sel.recv(&b, |v| v);
                    match sel.await {
                        Some(v) => {
                            sum += v;
                            count += 1;
                        }
                        None => return (sum, count),
                    }
                }
            })
        })
        .collect();
    for s in senders {
        s.await.unwrap();
    }
    let mut total = (0, 0);
    for r in receivers {
        let (s, c) = r.await.unwrap();
        total = (total.0 + s, total.1 + c);
    }
    check(total, m);
}

fn select_both(c: &mut Criterion) {
    let mut group = c.benchmark_group("select_both_blocking");
    group.bench_function("crossbeam select!", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| both_blocking_crossbeam(M_BOTH)).sum())
    });
    group.bench_function("goscope select_blocking!", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| both_blocking_goscope(M_BOTH)).sum())
    });
    group.finish();

    let rt = runtime();
    let mut group = c.benchmark_group("select_both_async");
    group.bench_function("goscope Select builder", |b| {
        b.iter(|| in_runtime(&rt, both_async_builder(M_BOTH)))
    });
    group.bench_function("goscope select!", |b| {
        b.iter(|| in_runtime(&rt, both_async_goscope(M_BOTH)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = select_ready, select_rx, select_both
}
criterion_main!(benches);
