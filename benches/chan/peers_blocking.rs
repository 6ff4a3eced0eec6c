//! The blocking cells: the [`BlockingChan`] trait, its impls for `std::sync::mpsc`,
//! crossbeam-channel, flume, kanal and goscope (crossfire's are in `crossfire.rs`), and
//! the iteration that drives them on OS threads.

use std::sync::{Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;

use crate::cells::{Cap, Cell, Ends, Peers, Shape, Tally, fan_out, messages, share};
use crate::crossfire as cf;
use crate::peers_async::{AsyncChan, Flume, Goscope, Kanal};

/// A channel as the blocking benchmarks drive it; see
/// [`AsyncChan`](crate::peers_async::AsyncChan).
pub(crate) trait BlockingChan: 'static {
    type Tx: Send;
    type Rx: Send;
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)>;
    fn clone_tx(tx: &Self::Tx) -> Option<Self::Tx>;
    fn clone_rx(_: &Self::Rx) -> Option<Self::Rx> {
        None
    }
    fn send(tx: &Self::Tx, v: u64);
    fn recv(rx: &mut Self::Rx) -> Option<u64>;
}

struct StdSync;
struct StdUnbounded;
struct Crossbeam;

impl BlockingChan for StdSync {
    type Tx = std::sync::mpsc::SyncSender<u64>;
    type Rx = std::sync::mpsc::Receiver<u64>;
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)> {
        match cap {
            Cap::Bounded(n) => Some(std::sync::mpsc::sync_channel(n)),
            Cap::Unbounded => None,
        }
    }
    fn clone_tx(tx: &Self::Tx) -> Option<Self::Tx> {
        Some(tx.clone())
    }
    fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).unwrap();
    }
    fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().ok()
    }
}

impl BlockingChan for StdUnbounded {
    type Tx = std::sync::mpsc::Sender<u64>;
    type Rx = std::sync::mpsc::Receiver<u64>;
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)> {
        matches!(cap, Cap::Unbounded).then(std::sync::mpsc::channel)
    }
    fn clone_tx(tx: &Self::Tx) -> Option<Self::Tx> {
        Some(tx.clone())
    }
    fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).unwrap();
    }
    fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().ok()
    }
}

impl BlockingChan for Crossbeam {
    type Tx = crossbeam_channel::Sender<u64>;
    type Rx = crossbeam_channel::Receiver<u64>;
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)> {
        Some(match cap {
            Cap::Bounded(n) => crossbeam_channel::bounded(n),
            Cap::Unbounded => crossbeam_channel::unbounded(),
        })
    }
    fn clone_tx(tx: &Self::Tx) -> Option<Self::Tx> {
        Some(tx.clone())
    }
    fn clone_rx(rx: &Self::Rx) -> Option<Self::Rx> {
        Some(rx.clone())
    }
    fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).unwrap();
    }
    fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().ok()
    }
}

impl BlockingChan for Flume {
    type Tx = flume::Sender<u64>;
    type Rx = flume::Receiver<u64>;
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)> {
        <Self as AsyncChan>::channel(cap)
    }
    fn clone_tx(tx: &Self::Tx) -> Option<Self::Tx> {
        Some(tx.clone())
    }
    fn clone_rx(rx: &Self::Rx) -> Option<Self::Rx> {
        Some(rx.clone())
    }
    fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).unwrap();
    }
    fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().ok()
    }
}

impl BlockingChan for Kanal {
    type Tx = kanal::Sender<u64>;
    type Rx = kanal::Receiver<u64>;
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)> {
        Some(match cap {
            Cap::Bounded(n) => kanal::bounded(n),
            Cap::Unbounded => kanal::unbounded(),
        })
    }
    fn clone_tx(tx: &Self::Tx) -> Option<Self::Tx> {
        Some(tx.clone())
    }
    fn clone_rx(rx: &Self::Rx) -> Option<Self::Rx> {
        Some(rx.clone())
    }
    fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).unwrap();
    }
    fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().ok()
    }
}

impl BlockingChan for Goscope {
    type Tx = goscope::chan::Sender<u64>;
    type Rx = goscope::chan::Receiver<u64>;
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)> {
        <Self as AsyncChan>::channel(cap)
    }
    fn clone_tx(tx: &Self::Tx) -> Option<Self::Tx> {
        Some(tx.clone())
    }
    fn clone_rx(rx: &Self::Rx) -> Option<Self::Rx> {
        Some(rx.clone())
    }
    fn send(tx: &Self::Tx, v: u64) {
        tx.send_blocking(v).unwrap();
    }
    fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv_blocking()
    }
}

/// The cell's senders and receivers, or `None` if `P` lacks the capacity or the shape.
fn ends<P: BlockingChan>(shape: Shape, cap: Cap) -> Option<Ends<P::Tx, P::Rx>> {
    let (tx, rx) = P::channel(cap)?;
    Some((
        fan_out(tx, shape.producers, P::clone_tx)?,
        fan_out(rx, shape.consumers, P::clone_rx)?,
    ))
}

/// One iteration on fresh threads; returns the time from the start barrier's release to
/// the last consumer's end (thread spawn and join are not timed).
fn run_blocking<P: BlockingChan>(shape: Shape, cap: Cap, m: u64) -> Duration {
    let (txs, rxs) = ends::<P>(shape, cap).unwrap();
    let start_line = Barrier::new((shape.producers + shape.consumers) as usize);
    let start = OnceLock::new();
    // The last thread to reach the line releases the others and starts the clock.
    let wait_for_start = &|| {
        if start_line.wait().is_leader() {
            start.set(Instant::now()).unwrap();
        }
    };
    let (total, end) = thread::scope(|s| {
        let consumers: Vec<_> = rxs
            .into_iter()
            .map(|mut rx| {
                s.spawn(move || {
                    wait_for_start();
                    let mut tally = Tally::default();
                    while let Some(v) = P::recv(&mut rx) {
                        tally.add(v);
                    }
                    (tally, Instant::now())
                })
            })
            .collect();
        for (p, tx) in (0..shape.producers).zip(txs) {
            s.spawn(move || {
                wait_for_start();
                for v in share(p, shape.producers, m) {
                    P::send(&tx, v);
                }
            });
        }
        consumers
            .into_iter()
            .map(|c| c.join().unwrap())
            .fold((Tally::default(), None), |(total, end), (tally, at)| {
                (total.merge(tally), end.max(Some(at)))
            })
    });
    total.check(m);
    end.unwrap() - *start.get().unwrap()
}

/// Registers `P` under `peer` if it has the cell's channel.
fn bench_blocking<P: BlockingChan>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    _: &(),
    (shape, cap): Cell,
    peer: &'static str,
) -> bool {
    if ends::<P>(shape, cap).is_none() {
        return false;
    }
    // crossfire's capacity-1 channel between 8 blocked producers and 8 blocked consumers
    // on 2 cores spins without progress: one sample did not finish in 4 minutes
    // (2026-12-02, crossfire 3.1.22), where kanal takes ~8 ms. Not measured: n/a.
    if peer == "crossfire" && matches!(cap, Cap::Bounded(1)) && shape.consumers >= 8 {
        return false;
    }
    let m = messages(true, cap);
    group.bench_function(peer, |b| {
        b.iter_custom(|iters| (0..iters).map(|_| run_blocking::<P>(shape, cap, m)).sum())
    });
    true
}

pub(crate) const BLOCKING_PEERS: &Peers<()> = &[
    (
        "std::sync::mpsc",
        &[bench_blocking::<StdSync>, bench_blocking::<StdUnbounded>],
    ),
    ("crossbeam-channel", &[bench_blocking::<Crossbeam>]),
    ("flume", &[bench_blocking::<Flume>]),
    ("kanal", &[bench_blocking::<Kanal>]),
    (
        "crossfire",
        &[
            bench_blocking::<cf::SpscOne>,
            bench_blocking::<cf::SpscArray>,
            bench_blocking::<cf::SpscList>,
            bench_blocking::<cf::MpscOne>,
            bench_blocking::<cf::MpscArray>,
            bench_blocking::<cf::MpscList>,
            bench_blocking::<cf::MpmcOne>,
            bench_blocking::<cf::MpmcArray>,
            bench_blocking::<cf::MpmcList>,
        ],
    ),
    ("goscope", &[bench_blocking::<Goscope>]),
];
