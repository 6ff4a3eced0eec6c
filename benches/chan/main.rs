//! Channels: `goscope::chan` against its peers, async and blocking, side by side.
//!
//! One criterion group per cell, `<family>_<shape>_<cap>`, in two sets:
//!
//! - Main: `{async,blocking}_{spsc,mpsc,mpmc}_{cap0,cap1,cap64,unbounded}` (spsc:
//!   1 producer → 1 consumer, mpsc: 4 → 1, mpmc: 4 → 4; `cap0` is a rendezvous).
//! - Oversubscribed: `{async,blocking}_{over8x1,over8x8}_{cap0,cap1,cap64}` (8 → 1 and
//!   8 → 8: 9 or 16 tasks on the 2 workers, or as many threads on the 2 cores), with
//!   shorter timing (10 samples, 0.5 s warm-up, 2.5 s measurement per function, about
//!   3½ minutes for the set) where the main cells take the bench's `config()` (20 samples,
//!   1 s, 4 s).
//!
//! Each iteration sends the values `0..M` through a fresh channel (M = 100,000; 20,000
//! async and 5,000 blocking at capacity 0 and 1, see `cells::messages`), dealt round-robin
//! to the producers. The producers drop their senders when done, which closes the
//! channel, and every consumer receives until it is closed and drained; the consumers'
//! sums and counts are checked every iteration. Peers run in a fixed order, goscope last.
//!
//! - Async (`peers_async.rs`): a 2-worker multi-thread runtime built outside the timing;
//!   each iteration runs as a task on it (`in_runtime`), and spawns the producers and
//!   consumers as Tokio tasks for every peer, so only the channel differs. Peers:
//!   `tokio::sync::mpsc`, flume, kanal, async-channel, crossfire.
//! - Blocking (`peers_blocking.rs`): std threads, no runtime. Threads are spawned per
//!   iteration but outside the timing: the clock runs from the moment a start barrier
//!   releases every thread to the moment the last consumer sees the channel closed.
//!   Peers: `std::sync::mpsc`, crossbeam-channel, flume, kanal, crossfire.
//!
//! crossfire (`crossfire.rs`) is registered with the flavour its docs recommend for the
//! cell: module `spsc` at 1 → 1, `mpsc` at N → 1, `mpmc` at N → N; flavour `One` at
//! capacity 1, `Array` at 64, `List` unbounded. `crossfire::detect_backoff_cfg()` (its
//! advice for VMs; it changes the spin settings only on a single-CPU machine) runs before
//! the groups.
//!
//! A peer that lacks a cell's channel (Tokio and crossfire have no rendezvous,
//! async-channel no capacity 0, `tokio::sync::mpsc` and `std::sync::mpsc` have a single
//! consumer) is not registered; the bench prints `<group>/<peer> n/a` instead, which
//! `scripts/ratios.py` shows as n/a.
//!
//! Run: `cargo bench -p goscope-benches --bench chan 2>&1 | tee /tmp/chan-bench.txt`, then
//! `python3 benches/scripts/ratios.py --subject goscope < /tmp/chan-bench.txt` for
//! goscope's ratio to the fastest peer of each group (about 11 minutes for the main cells
//! and 3½ more for the oversubscribed ones, on 2 cores).
//!
//! A subset: criterion takes a regular expression matched against `<group>/<peer>`, e.g.
//! `cargo bench -p goscope-benches --bench chan -- over` for the oversubscribed cells
//! only, `-- async_mpsc` for one shape, `-- 'cap0/(kanal|goscope)'` for two peers. The
//! n/a lines are printed for every group whatever the filter; `ratios.py` leaves out the
//! groups that have no timed function.

mod cells;
mod crossfire;
mod peers_async;
mod peers_blocking;

use criterion::{Criterion, criterion_group, criterion_main};
use goscope_benches::{config, runtime};

use crate::cells::{MAIN, Matrix, OVER, cells};
use crate::peers_async::ASYNC_PEERS;
use crate::peers_blocking::BLOCKING_PEERS;

fn async_cells(c: &mut Criterion, matrix: &Matrix) {
    ::crossfire::detect_backoff_cfg();
    cells(c, matrix, false, &runtime(), ASYNC_PEERS);
}

fn blocking_cells(c: &mut Criterion, matrix: &Matrix) {
    ::crossfire::detect_backoff_cfg();
    cells(c, matrix, true, &(), BLOCKING_PEERS);
}

fn main_cells(c: &mut Criterion) {
    async_cells(c, &MAIN);
    blocking_cells(c, &MAIN);
}

fn oversubscribed_cells(c: &mut Criterion) {
    async_cells(c, &OVER);
    blocking_cells(c, &OVER);
}

// Select: see benches/select.rs.

criterion_group! {
    name = benches;
    config = config();
    targets = main_cells, oversubscribed_cells
}
criterion_main!(benches);
