//! Interleaved A/B timing of spawn + await, goscope against Tokio, to complement the
//! criterion bench (`tasks.rs`) on noisy shared machines: rounds alternate A and B on one
//! 2-worker runtime, so drift in machine load hits both sides alike, and the medians'
//! ratio is stable to about ±2 % between runs.
//!
//! Run: `cargo bench -p goscope-benches --bench ab_tasks` (add `-- 600` for more rounds).

use std::future::Future;
use std::hint::black_box;
use std::time::Instant;

const N: u64 = 10_000;

async fn tokio_round(typical: bool) {
    let handles: Vec<_> = (0..N)
        .map(|i| {
            let state = [i; 12];
            if typical {
                tokio::spawn(async move { black_box(state)[0] })
            } else {
                tokio::spawn(async move { black_box(i) })
            }
        })
        .collect();
    check(handles.into_iter().map(|h| async { h.await.unwrap() })).await;
}

async fn go_round(typical: bool) {
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let state = [i; 12];
            if typical {
                goscope::go(async move { black_box(state)[0] })
            } else {
                goscope::go(async move { black_box(i) })
            }
        })
        .collect();
    check(tasks.into_iter().map(|t| async { t.await.unwrap() })).await;
}

async fn check<F: Future<Output = u64>>(results: impl Iterator<Item = F>) {
    let mut sum = 0;
    for r in results {
        sum += r.await;
    }
    assert_eq!(sum, N * (N - 1) / 2);
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    println!("| body | tokio::spawn median | goscope::go median | ratio |");
    println!("| --- | --- | --- | --- |");
    for (typical, label) in [
        (false, "trivial (16 B future)"),
        (true, "typical (~100 B future)"),
    ] {
        let (mut tokio_ms, mut go_ms) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            for go_turn in [round % 2 == 0, round % 2 == 1] {
                let start = Instant::now();
                rt.block_on(async move {
                    tokio::spawn(async move {
                        if go_turn {
                            go_round(typical).await
                        } else {
                            tokio_round(typical).await
                        }
                    })
                    .await
                    .unwrap()
                });
                let ms = start.elapsed().as_secs_f64() * 1e3;
                if go_turn {
                    go_ms.push(ms)
                } else {
                    tokio_ms.push(ms)
                }
            }
        }
        let (t, g) = (median(tokio_ms), median(go_ms));
        println!("| {label} | {t:.2} ms | {g:.2} ms | {:.2}× |", g / t);
    }
}
