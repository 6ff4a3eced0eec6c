//! The select engine under concurrency: Go's select2 (parking and unparking a select does
//! not grow memory) and doubleselect (no value is sent twice), crossbeam's matching test
//! (selects that both send and receive on one rendezvous channel pair up, never with
//! themselves), selects on opposite ends of a rendezvous channel, a sieve built from
//! selects, and an exactly-once stress with random drops of select futures.
//!
//! What is asserted holds for every interleaving; nothing sleeps and nothing is timed.
//! A bigger stress is `#[ignore]`d: `cargo test -p goscope-tests --test
//! select_engine_stress -- --ignored`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::Poll;

use goscope::chan::{self, Receiver, Sender, TryRecvError};
use goscope::select::Select;

use goscope_tests::idle;

// ----- select2: memory stays bounded -----

/// Counts the bytes each thread allocates minus those it frees. Per thread, so that tests
/// running in parallel in this binary do not disturb the one that measures.
struct Counting;

std::thread_local! {
    static NET_BYTES: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let _ = NET_BYTES.try_with(|n| n.set(n.get() + delta));
}

fn net_bytes() -> isize {
    NET_BYTES.with(Cell::get)
}

// SAFETY: every call is forwarded to `System` unchanged; counting touches no allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, forwarded.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, forwarded.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, forwarded.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Go's select2.go: 100,000 selects that each park on a rendezvous channel and on a dummy
/// case that never wins, and are completed by a counterpart that is a select too. Every
/// parked entry is removed again: the memory in use after them is what it was after the
/// first 1,000. All on one thread (a current-thread runtime), where the counter looks.
#[test]
fn select2_parking_and_unparking_does_not_grow_memory() {
    const WARM_UP: u32 = 1_000;
    const N: u32 = 100_000;
    const SLACK: isize = 64 * 1024;
    let before = net_bytes();
    let probe = vec![0u8; 1 << 20];
    assert!(
        net_bytes() - before >= 1 << 20,
        "the counter does not count"
    );
    drop(probe);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, rx) = chan::bounded::<u32>(0);
        let (_dummy_tx, dummy_rx) = idle::<u32>();
        let (dummy_out, _dummy_out_rx) = idle::<u32>();
        let sender = tokio::spawn(async move {
            let (_keep, quiet) = idle::<u32>();
            for i in 0..WARM_UP + N {
                let mut sel = Select::new();
                sel.send(&tx, move || i, |r| r.unwrap());
                sel.recv(&quiet, |_| unreachable!("dummy"));
                sel.await;
            }
        });
        let mut base = 0;
        for i in 0..WARM_UP + N {
            let mut sel = Select::new();
            sel.recv(&dummy_rx, |_| unreachable!("dummy"));
            sel.send(
                &dummy_out,
                || unreachable!("lost"),
                |_| unreachable!("dummy"),
            );
            sel.recv(&rx, |v| v);
            assert_eq!(sel.await, Some(i));
            if i + 1 == WARM_UP {
                base = net_bytes();
            }
        }
        let grown = net_bytes() - base;
        assert!(grown < SLACK, "{grown} bytes more after {N} selects");
        sender.await.unwrap();
    });
}

// ----- doubleselect: a value offered on several channels is sent once -----

/// A select that offers `v` on every channel of `txs`.
fn offer(txs: &[Sender<usize>], v: usize) -> Select<'_, ()> {
    let mut sel = Select::new();
    for tx in txs {
        sel.send(tx, move || v, |r| r.unwrap());
    }
    sel
}

/// Go's doubleselect.go: senders offer each value on four rendezvous channels at once;
/// a forwarding task per channel multiplexes them onto one; every value arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doubleselect_no_value_is_sent_on_two_channels() {
    const SENDERS: usize = 3;
    const PER_SENDER: usize = 2_000;
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..4).map(|_| chan::bounded::<usize>(0)).unzip();
    let mut senders = Vec::new();
    for s in 0..SENDERS - 1 {
        let txs = txs.clone();
        senders.push(tokio::spawn(async move {
            for i in 0..PER_SENDER {
                offer(&txs, s * PER_SENDER + i).await;
            }
        }));
    }
    // The last sender is a thread, with blocking selects.
    let thread_txs = txs.clone();
    let thread = std::thread::spawn(move || {
        for i in 0..PER_SENDER {
            offer(&thread_txs, (SENDERS - 1) * PER_SENDER + i).select_blocking();
        }
    });
    drop(txs);
    let (mux_tx, mux_rx) = chan::bounded::<usize>(0);
    for rx in rxs {
        let out = mux_tx.clone();
        tokio::spawn(async move {
            while let Some(v) = rx.recv().await {
                out.send(v).await.unwrap();
            }
        });
    }
    drop(mux_tx);
    let mut seen = vec![false; SENDERS * PER_SENDER];
    while let Some(v) = mux_rx.recv().await {
        assert!(
            !std::mem::replace(&mut seen[v], true),
            "{v} was received twice"
        );
    }
    assert!(seen.iter().all(|&s| s), "a value was lost");
    for s in senders {
        s.await.unwrap();
    }
    thread.join().unwrap();
}

// ----- matching: selects that send and receive on one channel pair up -----

/// A select of `send(id)` and `recv` on one rendezvous channel: `None` if it sent,
/// `Some(from)` if it received.
fn send_or_recv<'a>(
    tx: &'a Sender<usize>,
    rx: &'a Receiver<usize>,
    id: usize,
) -> Select<'a, Option<usize>> {
    let mut sel = Select::new();
    sel.recv(rx, |v| Some(v.unwrap()));
    sel.send(tx, move || id, |r| r.map(|()| None).unwrap());
    sel
}

/// Checks one round's outcomes: half sent, half received, each received id was sent by
/// another select of the round.
fn check_round(round: usize, outcomes: &[Option<usize>]) {
    let mut sent: Vec<usize> = (0..outcomes.len())
        .filter(|&id| outcomes[id].is_none())
        .collect();
    let mut got: Vec<usize> = outcomes.iter().flatten().copied().collect();
    for (id, o) in outcomes.iter().enumerate() {
        assert_ne!(*o, Some(id), "round {round}: {id} received its own id");
    }
    sent.sort_unstable();
    got.sort_unstable();
    assert_eq!(
        sent.len(),
        outcomes.len() / 2,
        "round {round}: {outcomes:?}"
    );
    assert_eq!(got, sent, "round {round}");
}

/// crossbeam's matching test, in rounds (a barrier between them, so that every select of
/// a round has a partner in it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matching_selects_pair_up_never_with_themselves() {
    const TASKS: usize = 8;
    const ROUNDS: usize = 300;
    let (tx, rx) = chan::bounded::<usize>(0);
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|id| {
            let (tx, rx, barrier) = (tx.clone(), rx.clone(), barrier.clone());
            tokio::spawn(async move {
                let mut log = Vec::with_capacity(ROUNDS);
                for _ in 0..ROUNDS {
                    log.push(send_or_recv(&tx, &rx, id).await);
                    barrier.wait().await;
                }
                log
            })
        })
        .collect();
    let mut logs = Vec::new();
    for t in tasks {
        logs.push(t.await.unwrap());
    }
    for round in 0..ROUNDS {
        check_round(
            round,
            &logs.iter().map(|log| log[round]).collect::<Vec<_>>(),
        );
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn matching_blocking_selects_on_threads_pair_up() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 200;
    let (tx, rx) = chan::bounded::<usize>(0);
    let barrier = std::sync::Barrier::new(THREADS);
    let logs: Vec<Vec<Option<usize>>> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..THREADS)
            .map(|id| {
                let (tx, rx, barrier) = (&tx, &rx, &barrier);
                s.spawn(move || {
                    (0..ROUNDS)
                        .map(|_| {
                            let out = send_or_recv(tx, rx, id).select_blocking();
                            barrier.wait();
                            out
                        })
                        .collect()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for round in 0..ROUNDS {
        check_round(
            round,
            &logs.iter().map(|log| log[round]).collect::<Vec<_>>(),
        );
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

// ----- two selects on opposite ends of one rendezvous channel -----

async fn select_sender(tx: &Sender<u32>, n: u32) {
    let (_keep, quiet) = idle::<u32>();
    for i in 0..n {
        let mut sel = Select::new();
        sel.recv(&quiet, |_| unreachable!("never ready"));
        sel.send(tx, move || i, |r| r.unwrap());
        sel.await;
    }
}

fn select_receiver(rx: &Receiver<u32>) -> Select<'_, Option<u32>> {
    let mut sel = Select::new();
    sel.recv(rx, |v| v);
    sel
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selects_on_opposite_ends_of_a_rendezvous_channel_pair_up() {
    const N: u32 = 2_000;
    let (tx, rx) = chan::bounded::<u32>(0);
    let (quiet, _keep) = idle::<u32>();
    let sender = tokio::spawn(async move { select_sender(&tx, N).await });
    for i in 0..N {
        let mut sel = select_receiver(&rx);
        sel.send(
            &quiet,
            || unreachable!("lost"),
            |_| unreachable!("never ready"),
        );
        assert_eq!(sel.await, Some(i));
    }
    sender.await.unwrap();
    assert_eq!(
        select_receiver(&rx).await,
        None,
        "closed once the sender is gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_select_pairs_up_with_an_async_select() {
    const N: u32 = 1_000;
    // Blocking receiver, async sender.
    let (tx, rx) = chan::bounded::<u32>(0);
    let receiver = std::thread::spawn(move || {
        let (quiet, _keep) = idle::<u32>();
        (0..=N)
            .map(|_| {
                let mut sel = select_receiver(&rx);
                sel.send(
                    &quiet,
                    || unreachable!("lost"),
                    |_| unreachable!("never ready"),
                );
                sel.select_blocking()
            })
            .collect::<Vec<_>>()
    });
    select_sender(&tx, N).await;
    drop(tx);
    let expected: Vec<_> = (0..N).map(Some).chain([None]).collect();
    assert_eq!(receiver.join().unwrap(), expected);

    // Blocking sender, async receiver.
    let (tx, rx) = chan::bounded::<u32>(0);
    let sender = std::thread::spawn(move || {
        let (_keep, quiet) = idle::<u32>();
        for i in 0..N {
            let mut sel = Select::new();
            sel.send(&tx, move || i, |r| r.unwrap());
            sel.recv(&quiet, |_| unreachable!("never ready"));
            sel.select_blocking();
        }
    });
    for i in 0..N {
        assert_eq!(select_receiver(&rx).await, Some(i));
    }
    sender.join().unwrap();
}

// ----- a sieve of selects -----

enum Step {
    Got(Option<u32>),
    Passed,
}

/// One stage of the sieve: in one select, take the next candidate or pass a queued one
/// on (a send value taken from the queue only when that case wins).
async fn filter(input: Receiver<u32>, output: Sender<u32>, prime: u32) {
    let mut queue = std::collections::VecDeque::new();
    let mut open = true;
    while open || !queue.is_empty() {
        let mut sel = Select::new();
        if open {
            sel.recv(&input, Step::Got);
        }
        if !queue.is_empty() {
            sel.send(
                &output,
                || queue.pop_front().unwrap(),
                |r| {
                    r.unwrap();
                    Step::Passed
                },
            );
        }
        match sel.await {
            Step::Got(Some(n)) if n % prime != 0 => queue.push_back(n),
            Step::Got(Some(_)) | Step::Passed => {}
            Step::Got(None) => open = false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sieve_of_select_loops_finds_the_primes() {
    const LIMIT: u32 = 1_000;
    let (numbers, mut candidates) = chan::bounded::<u32>(0);
    tokio::spawn(async move {
        for n in 2..=LIMIT {
            numbers.send(n).await.unwrap();
        }
    });
    let mut primes = Vec::new();
    while let Some(p) = candidates.recv().await {
        primes.push(p);
        let (tx, rx) = chan::bounded(primes.len() % 2);
        tokio::spawn(filter(candidates, tx, p));
        candidates = rx;
    }
    let expected: Vec<u32> = (2..=LIMIT)
        .filter(|&n| (2..n).take_while(|d| d * d <= n).all(|d| n % d != 0))
        .collect();
    assert_eq!(primes, expected);
}

// ----- exactly once, with random drops -----

/// A fixed-seed xorshift64.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

enum Outcome {
    Sent(u64),
    Got(u64),
}

/// What the workers did: values sent (a send that completed) and values received;
/// how many of the sends were plain `try_send`s (no value closure).
#[derive(Default)]
struct Tally {
    sent: Vec<u64>,
    got: Vec<u64>,
    plain_sends: usize,
}

impl Tally {
    fn record(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Sent(v) => self.sent.push(v),
            Outcome::Got(v) => self.got.push(v),
        }
    }
}

type Chans = [(Sender<u64>, Receiver<u64>); 3];

/// One to three random cases, sends and receives, on the three channels. Each value is
/// unique; `made` counts the values produced.
fn random_select<'a>(
    chans: &'a Chans,
    rng: &mut Rng,
    next: &mut u64,
    made: &'a AtomicUsize,
) -> Select<'a, Outcome> {
    let mut sel = Select::new();
    for _ in 0..=rng.below(3) {
        let (tx, rx) = &chans[rng.below(3) as usize];
        if rng.below(2) == 0 {
            let v = *next;
            *next += 1;
            let value = move || {
                made.fetch_add(1, SeqCst);
                v
            };
            sel.send(tx, value, move |r| r.map(|()| Outcome::Sent(v)).unwrap());
        } else {
            sel.recv(rx, |v| Outcome::Got(v.expect("never closed")));
        }
    }
    sel
}

/// Polls `fut` at most `polls` times, yielding in between, then drops it.
async fn poll_at_most<F: Future + Unpin>(mut fut: F, polls: u64) -> Option<F::Output> {
    for i in 0..polls {
        if i > 0 {
            tokio::task::yield_now().await;
        }
        let poll = std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut fut).poll(cx))).await;
        if let Poll::Ready(out) = poll {
            return Some(out);
        }
    }
    None
}

async fn async_worker(id: u64, chans: Arc<Chans>, ops: usize, made: Arc<AtomicUsize>) -> Tally {
    let (mut rng, mut next, mut tally) = (Rng::new(id), id << 40, Tally::default());
    for _ in 0..ops {
        let polls = 1 + rng.below(6);
        let sel = random_select(&chans, &mut rng, &mut next, &made);
        if let Some(outcome) = poll_at_most(sel.into_future(), polls).await {
            tally.record(outcome);
        }
    }
    tally
}

/// A thread that never waits: `try_select`, plain `try_send` and `try_recv`.
fn thread_worker(id: u64, chans: &Chans, ops: usize, made: &AtomicUsize) -> Tally {
    let (mut rng, mut next, mut tally) = (Rng::new(id), id << 40, Tally::default());
    for _ in 0..ops {
        let (tx, rx) = &chans[rng.below(3) as usize];
        match rng.below(4) {
            0 => {
                if tx.try_send(next).is_ok() {
                    tally.sent.push(next);
                    tally.plain_sends += 1;
                }
                next += 1;
            }
            1 => tally.got.extend(rx.try_recv().ok()),
            _ => {
                if let Ok(outcome) = random_select(chans, &mut rng, &mut next, made).try_select() {
                    tally.record(outcome);
                }
            }
        }
        if rng.below(8) == 0 {
            std::thread::yield_now();
        }
    }
    tally
}

fn exactly_once(tasks: u64, ops: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let chans: Arc<Chans> = Arc::new([chan::bounded(0), chan::bounded(1), chan::unbounded()]);
    let made = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (1..=tasks)
        .map(|id| rt.spawn(async_worker(id, chans.clone(), ops, made.clone())))
        .collect();
    let mut tallies = vec![thread_worker(0, &chans, ops, &made)];
    for w in workers {
        tallies.push(rt.block_on(w).unwrap());
    }
    let mut sent: Vec<u64> = tallies
        .iter()
        .flat_map(|t| t.sent.iter().copied())
        .collect();
    let mut got: Vec<u64> = tallies.iter().flat_map(|t| t.got.iter().copied()).collect();
    let received = got.len();
    let plain_sends: usize = tallies.iter().map(|t| t.plain_sends).sum();
    for (_, rx) in chans.iter() {
        got.extend(std::iter::from_fn(|| rx.try_recv().ok()));
    }
    sent.sort_unstable();
    got.sort_unstable();
    assert!(
        received > 0,
        "nothing was received: the test proved nothing"
    );
    assert!(
        sent.windows(2).all(|w| w[0] != w[1]),
        "a value was sent twice"
    );
    assert_eq!(
        got.len(),
        sent.len(),
        "received (incl. left in channels) vs sent"
    );
    assert_eq!(got, sent, "a value was lost, duplicated or invented");
    assert_eq!(
        made.load(SeqCst) + plain_sends,
        sent.len(),
        "a produced value was not sent"
    );
}

#[test]
fn exactly_once_with_random_selects_and_drops() {
    exactly_once(6, 20_000);
}

#[test]
#[ignore = "soak: run with --ignored"]
fn exactly_once_with_random_selects_and_drops_soak() {
    exactly_once(12, 200_000);
}
