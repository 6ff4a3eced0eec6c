//! The async cells: the [`AsyncChan`] trait, its impls for Tokio, flume, kanal,
//! async-channel and goscope (crossfire's are in `crossfire.rs`), and the iteration that
//! drives them as Tokio tasks.

use std::future::Future;

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;
use goscope_benches::in_runtime;
use tokio::runtime::Runtime;

use crate::cells::{Cap, Cell, Ends, Peers, Shape, Tally, fan_out, messages, share};
use crate::crossfire as cf;

/// A channel as the async benchmarks drive it: one impl per constructor, so a peer whose
/// bounded and unbounded channels are different types (Tokio, crossfire) has several.
pub(crate) trait AsyncChan: 'static {
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    /// A channel of capacity `cap`, or `None` if the peer has none.
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)>;
    /// Another sender of `tx`'s channel; `None` for single-producer channels, which are
    /// n/a for more than one producer.
    fn clone_tx(tx: &Self::Tx) -> Option<Self::Tx>;
    /// Another receiver of `rx`'s channel; `None` for single-consumer channels, which are
    /// n/a for more than one consumer.
    fn clone_rx(_: &Self::Rx) -> Option<Self::Rx> {
        None
    }
    fn send(tx: &Self::Tx, v: u64) -> impl Future<Output = ()> + Send;
    /// `None` once the channel is closed and drained.
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = Option<u64>> + Send;
}

pub(crate) struct TokioBounded;
pub(crate) struct TokioUnbounded;
pub(crate) struct Flume;
pub(crate) struct Kanal;
pub(crate) struct AsyncChannel;
pub(crate) struct Goscope;

impl AsyncChan for TokioBounded {
    type Tx = tokio::sync::mpsc::Sender<u64>;
    type Rx = tokio::sync::mpsc::Receiver<u64>;
    fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)> {
        match cap {
            Cap::Bounded(n) if n > 0 => Some(tokio::sync::mpsc::channel(n)),
            _ => None,
        }
    }
    fn clone_tx(tx: &Self::Tx) -> Option<Self::Tx> {
        Some(tx.clone())
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
    fn clone_tx(tx: &Self::Tx) -> Option<Self::Tx> {
        Some(tx.clone())
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
    fn clone_tx(tx: &Self::Tx) -> Option<Self::Tx> {
        Some(tx.clone())
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
    fn clone_tx(tx: &Self::Tx) -> Option<Self::Tx> {
        Some(tx.clone())
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
    fn clone_tx(tx: &Self::Tx) -> Option<Self::Tx> {
        Some(tx.clone())
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
    fn clone_tx(tx: &Self::Tx) -> Option<Self::Tx> {
        Some(tx.clone())
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

/// The cell's senders and receivers, or `None` if `P` lacks the capacity or the shape.
fn ends<P: AsyncChan>(shape: Shape, cap: Cap) -> Option<Ends<P::Tx, P::Rx>> {
    let (tx, rx) = P::channel(cap)?;
    Some((
        fan_out(tx, shape.producers, P::clone_tx)?,
        fan_out(rx, shape.consumers, P::clone_rx)?,
    ))
}

/// One iteration: spawns the consumers, then the producers, and waits for all of them.
async fn run_async<P: AsyncChan>(shape: Shape, cap: Cap, m: u64) {
    let (txs, rxs) = ends::<P>(shape, cap).unwrap();
    let consumers: Vec<_> = rxs
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
        .zip(txs)
        .map(|(p, tx)| {
            tokio::spawn(async move {
                for v in share(p, shape.producers, m) {
                    P::send(&tx, v).await;
                }
            })
        })
        .collect();
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
    if ends::<P>(shape, cap).is_none() {
        return false;
    }
    let m = messages(false, cap);
    group.bench_function(peer, |b| {
        b.iter(|| in_runtime(rt, run_async::<P>(shape, cap, m)))
    });
    true
}

pub(crate) const ASYNC_PEERS: &Peers<Runtime> = &[
    (
        "tokio::mpsc",
        &[bench_async::<TokioBounded>, bench_async::<TokioUnbounded>],
    ),
    ("flume", &[bench_async::<Flume>]),
    ("kanal", &[bench_async::<Kanal>]),
    ("async-channel", &[bench_async::<AsyncChannel>]),
    (
        "crossfire",
        &[
            bench_async::<cf::SpscOne>,
            bench_async::<cf::SpscArray>,
            bench_async::<cf::SpscList>,
            bench_async::<cf::MpscOne>,
            bench_async::<cf::MpscArray>,
            bench_async::<cf::MpscList>,
            bench_async::<cf::MpmcOne>,
            bench_async::<cf::MpmcArray>,
            bench_async::<cf::MpmcList>,
        ],
    ),
    ("goscope", &[bench_async::<Goscope>]),
];
