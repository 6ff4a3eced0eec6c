//! The cells of the benchmark: shapes, capacities, message counts, the consumers' tally,
//! and the loop that turns a list of peers into one criterion group per cell.

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};

/// Messages per iteration, the same for every peer in a cell: a few milliseconds' worth,
/// fewer where most messages are a handoff to a parked task or thread (capacity 0 and 1;
/// between blocked threads on 2 cores that is 5–50 µs a message).
pub(crate) fn messages(blocking: bool, cap: Cap) -> u64 {
    match (blocking, cap) {
        (false, Cap::Bounded(0 | 1)) => 20_000,
        (true, Cap::Bounded(0 | 1)) => 5_000,
        _ => 100_000,
    }
}

/// A benchmark cell: the group's shape and capacity.
pub(crate) type Cell = (Shape, Cap);

#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape {
    pub(crate) name: &'static str,
    pub(crate) producers: u64,
    pub(crate) consumers: u64,
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

#[derive(Clone, Copy, Debug)]
pub(crate) enum Cap {
    /// `Bounded(0)` is a rendezvous channel.
    Bounded(usize),
    Unbounded,
}

impl Cap {
    fn name(self) -> String {
        match self {
            Cap::Bounded(n) => format!("cap{n}"),
            Cap::Unbounded => "unbounded".to_owned(),
        }
    }
}

/// A family of groups: every shape at every capacity, with criterion's timing settings.
#[derive(Debug)]
pub(crate) struct Matrix {
    shapes: &'static [Shape],
    caps: &'static [Cap],
    /// `(samples, warm-up, measurement)` per function, or `None` for the bench's
    /// [`config`](goscope_benches::config).
    timing: Option<(usize, Duration, Duration)>,
}

/// The main cells: 1 → 1, 4 → 1 and 4 → 4, every capacity, the bench's default timing.
pub(crate) const MAIN: Matrix = Matrix {
    shapes: &[
        Shape::new("spsc", 1, 1),
        Shape::new("mpsc", 4, 1),
        Shape::new("mpmc", 4, 4),
    ],
    caps: &[
        Cap::Bounded(0),
        Cap::Bounded(1),
        Cap::Bounded(64),
        Cap::Unbounded,
    ],
    timing: None,
};

/// The oversubscribed cells: 8 → 1 and 8 → 8, four times the tasks or threads of the main
/// cells on the same 2 workers or 2 cores, at the contended capacities 0, 1 and 64. Fewer,
/// shorter samples (10, 0.5 s warm-up, 2.5 s measurement) keep the set near 3½ minutes.
pub(crate) const OVER: Matrix = Matrix {
    shapes: &[Shape::new("over8x1", 8, 1), Shape::new("over8x8", 8, 8)],
    caps: &[Cap::Bounded(0), Cap::Bounded(1), Cap::Bounded(64)],
    timing: Some((10, Duration::from_millis(500), Duration::from_millis(2500))),
};

/// What one consumer received.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tally {
    sum: u64,
    count: u64,
}

impl Tally {
    pub(crate) fn add(&mut self, v: u64) {
        self.sum += v;
        self.count += 1;
    }

    pub(crate) fn merge(self, other: Tally) -> Tally {
        Tally {
            sum: self.sum + other.sum,
            count: self.count + other.count,
        }
    }

    /// Panics unless every value of `0..m` arrived exactly once (by sum and count).
    pub(crate) fn check(self, m: u64) {
        assert_eq!((self.sum, self.count), (m * (m - 1) / 2, m));
    }
}

/// The values producer `p` of `producers` sends: `p, p + producers, …` below `m`.
pub(crate) fn share(p: u64, producers: u64, m: u64) -> impl Iterator<Item = u64> {
    (p..m).step_by(producers as usize)
}

/// `n` handles of one channel end: clones of `end`, then `end` itself; `None` if `n > 1`
/// and the end cannot be cloned (a single-producer or single-consumer channel).
pub(crate) fn fan_out<E>(end: E, n: u64, clone: impl Fn(&E) -> Option<E>) -> Option<Vec<E>> {
    let mut ends = (1..n).map(|_| clone(&end)).collect::<Option<Vec<E>>>()?;
    ends.push(end);
    Some(ends)
}

/// A cell's senders, one per producer, and receivers, one per consumer.
pub(crate) type Ends<Tx, Rx> = (Vec<Tx>, Vec<Rx>);

/// Registers a peer's function in a cell's group if the peer has the cell's channel;
/// returns whether it did.
pub(crate) type Register<Ctx> =
    fn(&mut BenchmarkGroup<'_, WallTime>, &Ctx, Cell, &'static str) -> bool;

/// Peers in table order (goscope last), each with its constructors' `Register`s.
pub(crate) type Peers<Ctx> = [(&'static str, &'static [Register<Ctx>])];

/// Adds a group per cell of `matrix`, `<family>_<shape>_<cap>`, with `peers` in order: a
/// peer is registered by the first of its constructors that has the cell's channel, else
/// printed as `<group>/<peer> n/a`.
pub(crate) fn cells<Ctx>(
    c: &mut Criterion,
    matrix: &Matrix,
    blocking: bool,
    ctx: &Ctx,
    peers: &Peers<Ctx>,
) {
    let family = if blocking { "blocking" } else { "async" };
    for &shape in matrix.shapes {
        for &cap in matrix.caps {
            let name = format!("{family}_{}_{}", shape.name, cap.name());
            let mut group = c.benchmark_group(&name);
            group.throughput(Throughput::Elements(messages(blocking, cap)));
            // Iterations take 1–300 ms: equal-sized samples keep each function within its
            // measurement time, where linear sampling would need 210 iterations.
            group.sampling_mode(SamplingMode::Flat);
            if let Some((samples, warm_up, measurement)) = matrix.timing {
                group
                    .sample_size(samples)
                    .warm_up_time(warm_up)
                    .measurement_time(measurement);
            }
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
