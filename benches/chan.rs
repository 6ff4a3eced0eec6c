//! Channels: `goscope::chan` against its peers, async and blocking, side by side.
//!
//! One criterion group per cell: `{async,blocking}_{spsc,mpsc,mpmc}_{cap0,cap1,cap64,unbounded}`
//! (spsc: 1 producer → 1 consumer, mpsc: 4 → 1, mpmc: 4 → 4; `cap0` is a rendezvous). Each
//! iteration sends the values `0..M` through a fresh channel (M = 100,000; 20,000 async and
//! 5,000 blocking at capacity 0 and 1, see `messages`), dealt round-robin to the producers.
//! The producers drop their senders when done, which closes the channel, and every
//! consumer receives until it is closed and drained; the consumers' sums and counts are
//! checked every iteration. Peers run in a fixed order, goscope last.
//!
//! - Async: a 2-worker multi-thread runtime built outside the timing; each iteration runs
//!   as a task on it (`in_runtime`), and spawns the producers and consumers as Tokio tasks
//!   for every peer, so only the channel differs. Peers: `tokio::sync::mpsc`, flume, kanal,
//!   async-channel.
//! - Blocking: std threads, no runtime. Threads are spawned per iteration but outside the
//!   timing: the clock runs from the moment a start barrier releases every thread to the
//!   moment the last consumer sees the channel closed. Peers: `std::sync::mpsc`,
//!   crossbeam-channel, flume, kanal.
//!
//! A peer that lacks a cell's channel (Tokio has no rendezvous, async-channel no capacity
//! 0, `tokio::sync::mpsc` and `std::sync::mpsc` have a single consumer) is not registered;
//! the bench prints `<group>/<peer> n/a` instead, which `scripts/ratios.py` shows as n/a.
//!
//! Run: `cargo bench -p goscope-benches --bench chan 2>&1 | tee /tmp/chan-bench.txt`, then
//! `python3 benches/scripts/ratios.py --subject goscope < /tmp/chan-bench.txt` for
//! goscope's ratio to the fastest peer of each group.

use std::future::Future;
use std::sync::{Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use goscope_benches::{config, in_runtime, runtime};
use tokio::runtime::Runtime;

/// Messages per iteration, the same for every peer in a cell: a few milliseconds' worth,
/// fewer where most messages are a handoff to a parked task or thread (capacity 0 and 1;
/// between blocked threads on 2 cores that is 5–50 µs a message).
fn messages(blocking: bool, cap: Cap) -> u64 {
    match (blocking, cap) {
        (false, Cap::Bounded(0 | 1)) => 20_000,
        (true, Cap::Bounded(0 | 1)) => 5_000,
        _ => 100_000,
    }
}

/// A benchmark cell: the group's shape and capacity.
type Cell = (Shape, Cap);

#[derive(Clone, Copy, Debug)]
struct Shape {
    name: &'static str,
    producers: u64,
    consumers: u64,
}

impl Shape {
    const fn new(name: &'static str, producers: u64, consumers: u64) -> Shape {
        Shape {
            name,
            producers,
            consumers,
        }
    }
}

const SHAPES: [Shape; 3] = [
    Shape::new("spsc", 1, 1),
    Shape::new("mpsc", 4, 1),
    Shape::new("mpmc", 4, 4),
];

#[derive(Clone, Copy, Debug)]
enum Cap {
    /// `Bounded(0)` is a rendezvous channel.
    Bounded(usize),
    Unbounded,
}

const CAPS: [Cap; 4] = [
    Cap::Bounded(0),
    Cap::Bounded(1),
    Cap::Bounded(64),
    Cap::Unbounded,
];

impl Cap {
    fn name(self) -> String {
        match self {
            Cap::Bounded(n) => format!("cap{n}"),
            Cap::Unbounded => "unbounded".to_owned(),
        }
    }
}

/// What one consumer received.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    sum: u64,
    count: u64,
}

impl Tally {
    fn add(&mut self, v: u64) {
        self.sum += v;
        self.count += 1;
    }

    fn merge(self, other: Tally) -> Tally {
        Tally {
            sum: self.sum + other.sum,
            count: self.count + other.count,
        }
    }

    /// Panics unless every value of `0..m` arrived exactly once (by sum and count).
    fn check(self, m: u64) {
        assert_eq!((self.sum, self.count), (m * (m - 1) / 2, m));
    }
}

/// The values producer `p` of `producers` sends: `p, p + producers, …` below `m`.
fn share(p: u64, producers: u64, m: u64) -> impl Iterator<Item = u64> {
    (p..m).step_by(producers as usize)
}

/// `n` receivers of one channel: clones of `rx`, then `rx` itself; `None` if `n > 1` and
/// the channel has a single receiver.
fn fan_out<R>(rx: R, n: u64, clone: impl Fn(&R) -> Option<R>) -> Option<Vec<R>> {
    let mut rxs = (1..n).map(|_| clone(&rx)).collect::<Option<Vec<R>>>()?;
    rxs.push(rx);
    Some(rxs)
}

/// Registers a peer's function in a cell's group if the peer has the cell's channel;
/// returns whether it did.
type Register<Ctx> = fn(&mut BenchmarkGroup<'_, WallTime>, &Ctx, Cell, &'static str) -> bool;

/// Peers in table order (goscope last), each with its constructors' `Register`s.
type Peers<Ctx> = [(&'static str, &'static [Register<Ctx>])];

/// Adds a group per cell, `<family>_<shape>_<cap>`, with `peers` in order: a peer is
/// registered by the first of its constructors that has the cell's channel, else printed
/// as `<group>/<peer> n/a`.
fn cells<Ctx>(c: &mut Criterion, blocking: bool, ctx: &Ctx, peers: &Peers<Ctx>) {
    let family = if blocking { "blocking" } else { "async" };
    for shape in SHAPES {
        for cap in CAPS {
            let name = format!("{family}_{}_{}", shape.name, cap.name());
            let mut group = c.benchmark_group(&name);
            group.throughput(Throughput::Elements(messages(blocking, cap)));
            // Iterations take 1–300 ms: equal-sized samples keep each function within its
            // measurement time, where linear sampling would need 210 iterations.
            group.sampling_mode(SamplingMode::Flat);
            for &(peer, constructors) in peers {
                if !constructors
                    .iter()
                    .any(|register| register(&mut group, ctx, (shape, cap), peer))
                {
                    println!("{name}/{peer} n/a");
                }
            }
            group.finish();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Async

/// A channel as the async benchmarks drive it: one impl per constructor, so a peer whose
/// bounded and unbounded channels are different types (Tokio) has two impls.
trait AsyncChan: 'static {
    type Tx: Clone + Send + 'static;
    type Rx: Send + 'static;
    /// A channel of capacity `cap`, or `None` if the peer has none.
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)>;
    /// Another receiver of `rx`'s channel; `None` for single-consumer channels, which are
    /// n/a for `mpmc`.
    fn clone_rx(_: &Self::Rx) -> Option<Self::Rx> {
        None
    }
    fn send(tx: &Self::Tx, v: u64) -> impl Future<Output = ()> + Send;
    /// `None` once the channel is closed and drained.
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = Option<u64>> + Send;
}

struct TokioBounded;
struct TokioUnbounded;
struct Flume;
struct Kanal;
struct AsyncChannel;
struct Goscope;

impl AsyncChan for TokioBounded {
    type Tx = tokio::sync::mpsc::Sender<u64>;
    type Rx = tokio::sync::mpsc::Receiver<u64>;
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)> {
        match cap {
            Cap::Bounded(n) if n > 0 => Some(tokio::sync::mpsc::channel(n)),
            _ => None,
        }
    }
    async fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).await.unwrap();
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await
    }
}

impl AsyncChan for TokioUnbounded {
    type Tx = tokio::sync::mpsc::UnboundedSender<u64>;
    type Rx = tokio::sync::mpsc::UnboundedReceiver<u64>;
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)> {
        matches!(cap, Cap::Unbounded).then(tokio::sync::mpsc::unbounded_channel)
    }
    async fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).unwrap();
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await
    }
}

impl AsyncChan for Flume {
    type Tx = flume::Sender<u64>;
    type Rx = flume::Receiver<u64>;
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)> {
        Some(match cap {
            Cap::Bounded(n) => flume::bounded(n),
            Cap::Unbounded => flume::unbounded(),
        })
    }
    fn clone_rx(rx: &Self::Rx) -> Option<Self::Rx> {
        Some(rx.clone())
    }
    async fn send(tx: &Self::Tx, v: u64) {
        tx.send_async(v).await.unwrap();
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv_async().await.ok()
    }
}

impl AsyncChan for Kanal {
    type Tx = kanal::AsyncSender<u64>;
    type Rx = kanal::AsyncReceiver<u64>;
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)> {
        Some(match cap {
            Cap::Bounded(n) => kanal::bounded_async(n),
            Cap::Unbounded => kanal::unbounded_async(),
        })
    }
    fn clone_rx(rx: &Self::Rx) -> Option<Self::Rx> {
        Some(rx.clone())
    }
    async fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).await.unwrap();
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await.ok()
    }
}

impl AsyncChan for AsyncChannel {
    type Tx = async_channel::Sender<u64>;
    type Rx = async_channel::Receiver<u64>;
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)> {
        match cap {
            Cap::Bounded(0) => None,
            Cap::Bounded(n) => Some(async_channel::bounded(n)),
            Cap::Unbounded => Some(async_channel::unbounded()),
        }
    }
    fn clone_rx(rx: &Self::Rx) -> Option<Self::Rx> {
        Some(rx.clone())
    }
    async fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).await.unwrap();
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await.ok()
    }
}

impl AsyncChan for Goscope {
    type Tx = goscope::chan::Sender<u64>;
    type Rx = goscope::chan::Receiver<u64>;
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)> {
        Some(match cap {
            Cap::Bounded(n) => goscope::chan::bounded(n),
            Cap::Unbounded => goscope::chan::unbounded(),
        })
    }
    fn clone_rx(rx: &Self::Rx) -> Option<Self::Rx> {
        Some(rx.clone())
    }
    async fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).await.unwrap();
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await
    }
}

/// One iteration: spawns the consumers, then the producers, and waits for all of them.
async fn run_async<P: AsyncChan>(shape: Shape, cap: Cap, m: u64) {
    let (tx, rx) = P::channel(cap).unwrap();
    let consumers: Vec<_> = fan_out(rx, shape.consumers, P::clone_rx)
        .unwrap()
        .into_iter()
        .map(|mut rx| {
            tokio::spawn(async move {
                let mut tally = Tally::default();
                while let Some(v) = P::recv(&mut rx).await {
                    tally.add(v);
                }
                tally
            })
        })
        .collect();
    let producers: Vec<_> = (0..shape.producers)
        .map(|p| {
            let tx = tx.clone();
            tokio::spawn(async move {
                for v in share(p, shape.producers, m) {
                    P::send(&tx, v).await;
                }
            })
        })
        .collect();
    drop(tx);
    for p in producers {
        p.await.unwrap();
    }
    let mut total = Tally::default();
    for c in consumers {
        total = total.merge(c.await.unwrap());
    }
    total.check(m);
}

/// Registers `P` under `peer` if it has the cell's channel.
fn bench_async<P: AsyncChan>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    (shape, cap): Cell,
    peer: &'static str,
) -> bool {
    let has_cell = P::channel(cap).and_then(|(_, rx)| fan_out(rx, shape.consumers, P::clone_rx));
    if has_cell.is_none() {
        return false;
    }
    let m = messages(false, cap);
    group.bench_function(peer, |b| {
        b.iter(|| in_runtime(rt, run_async::<P>(shape, cap, m)))
    });
    true
}

const ASYNC_PEERS: &Peers<Runtime> = &[
    (
        "tokio::mpsc",
        &[bench_async::<TokioBounded>, bench_async::<TokioUnbounded>],
    ),
    ("flume", &[bench_async::<Flume>]),
    ("kanal", &[bench_async::<Kanal>]),
    ("async-channel", &[bench_async::<AsyncChannel>]),
    ("goscope", &[bench_async::<Goscope>]),
];

fn async_cells(c: &mut Criterion) {
    cells(c, false, &runtime(), ASYNC_PEERS);
}

// ---------------------------------------------------------------------------------------
// Blocking

/// A channel as the blocking benchmarks drive it; see [`AsyncChan`].
trait BlockingChan: 'static {
    type Tx: Clone + Send;
    type Rx: Send;
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)>;
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

/// One iteration on fresh threads; returns the time from the start barrier's release to
/// the last consumer's end (thread spawn and join are not timed).
fn run_blocking<P: BlockingChan>(shape: Shape, cap: Cap, m: u64) -> Duration {
    let (tx, rx) = P::channel(cap).unwrap();
    let start_line = Barrier::new((shape.producers + shape.consumers) as usize);
    let start = OnceLock::new();
    // The last thread to reach the line releases the others and starts the clock.
    let wait_for_start = &|| {
        if start_line.wait().is_leader() {
            start.set(Instant::now()).unwrap();
        }
    };
    let (total, end) = thread::scope(|s| {
        let consumers: Vec<_> = fan_out(rx, shape.consumers, P::clone_rx)
            .unwrap()
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
        for p in 0..shape.producers {
            let tx = tx.clone();
            s.spawn(move || {
                wait_for_start();
                for v in share(p, shape.producers, m) {
                    P::send(&tx, v);
                }
            });
        }
        drop(tx);
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
    let has_cell = P::channel(cap).and_then(|(_, rx)| fan_out(rx, shape.consumers, P::clone_rx));
    if has_cell.is_none() {
        return false;
    }
    let m = messages(true, cap);
    group.bench_function(peer, |b| {
        b.iter_custom(|iters| (0..iters).map(|_| run_blocking::<P>(shape, cap, m)).sum())
    });
    true
}

const BLOCKING_PEERS: &Peers<()> = &[
    (
        "std::sync::mpsc",
        &[bench_blocking::<StdSync>, bench_blocking::<StdUnbounded>],
    ),
    ("crossbeam-channel", &[bench_blocking::<Crossbeam>]),
    ("flume", &[bench_blocking::<Flume>]),
    ("kanal", &[bench_blocking::<Kanal>]),
    ("goscope", &[bench_blocking::<Goscope>]),
];

fn blocking_cells(c: &mut Criterion) {
    cells(c, true, &(), BLOCKING_PEERS);
}

// Select: see benches/select.rs.

criterion_group! {
    name = benches;
    config = config();
    targets = async_cells, blocking_cells
}
criterion_main!(benches);
