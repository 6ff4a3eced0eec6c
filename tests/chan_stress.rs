//! Channels under concurrency: cancellation at every poll, std threads and tokio tasks on
//! one channel, Go's `TestMultiConsumer`, and a stress test; delivery counted exactly.
//!
//! Every value is a [`Token`] that records on a shared [`Ledger`] whether it was received
//! or dropped unreceived. A `send` future dropped before it completed may have delivered
//! its token or not; either way each token ends up received once or dropped once (never
//! both, never neither), and a token taken by a dropped `recv` must not be dropped at all.
//!
//! Sizes (debug build, 2 cores): cancel loops 400 rounds per capacity; Go's
//! `TestMultiConsumer` at its 271,828 values; the stress test 25,000 values per capacity
//! for 4 capacities (10^5 in all), 10^6 in the ignored soak.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use futures_util::task::noop_waker_ref;
use goscope::chan::{self, Receiver, Sender};

fn channel<T>(cap: Option<usize>) -> (Sender<T>, Receiver<T>) {
    match cap {
        Some(cap) => chan::bounded(cap),
        None => chan::unbounded(),
    }
}

const CAPS: [Option<usize>; 4] = [Some(0), Some(1), Some(16), None];

// ----- the ledger -----

struct Ledger {
    received: Vec<AtomicU8>,
    dropped: Vec<AtomicU8>,
    made: AtomicU64,
}

impl Ledger {
    fn new(ids: usize) -> Arc<Self> {
        Arc::new(Self {
            received: (0..ids).map(|_| AtomicU8::new(0)).collect(),
            dropped: (0..ids).map(|_| AtomicU8::new(0)).collect(),
            made: AtomicU64::new(0),
        })
    }

    fn token(self: &Arc<Self>, id: usize) -> Token {
        self.made.fetch_add(1, Ordering::SeqCst);
        Token {
            id,
            ledger: self.clone(),
            taken: false,
        }
    }

    fn received(&self, id: usize) -> u8 {
        self.received[id].load(Ordering::SeqCst)
    }

    fn dropped(&self, id: usize) -> u8 {
        self.dropped[id].load(Ordering::SeqCst)
    }

    fn total_received(&self) -> u64 {
        (0..self.received.len())
            .map(|id| u64::from(self.received(id)))
            .sum()
    }

    /// No token was received twice, and every token made was received or dropped exactly
    /// once (a leak or a double drop breaks the sum).
    fn assert_settled(&self, what: &str) {
        let mut dropped = 0;
        for id in 0..self.received.len() {
            assert!(
                self.received(id) <= 1,
                "{what}: id {id} received {} times",
                self.received(id)
            );
            dropped += u64::from(self.dropped(id));
        }
        let received = self.total_received();
        let made = self.made.load(Ordering::SeqCst);
        assert_eq!(
            made,
            received + dropped,
            "{what}: {made} tokens made, {received} received, {dropped} dropped"
        );
    }

    fn assert_all_received_once(&self, what: &str) {
        self.assert_settled(what);
        for id in 0..self.received.len() {
            assert_eq!(
                self.received(id),
                1,
                "{what}: id {id} (dropped {} times)",
                self.dropped(id)
            );
        }
    }
}

struct Token {
    id: usize,
    ledger: Arc<Ledger>,
    taken: bool,
}

impl Token {
    fn take(mut self) -> usize {
        self.taken = true;
        self.ledger.received[self.id].fetch_add(1, Ordering::SeqCst);
        self.id
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        if !self.taken {
            self.ledger.dropped[self.id].fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Token").field(&self.id).finish()
    }
}

// ----- polling by hand -----

/// Polls `fut` up to `n` times with a no-op waker, yielding to the runtime between
/// polls so the other end makes progress; `None` if it is still pending.
async fn poll_up_to<F: Future>(mut fut: Pin<&mut F>, n: u64) -> Option<F::Output> {
    for _ in 0..n {
        let polled = fut
            .as_mut()
            .poll(&mut Context::from_waker(noop_waker_ref()));
        if let Poll::Ready(v) = polled {
            return Some(v);
        }
        tokio::task::yield_now().await;
    }
    None
}

/// xorshift64: enough randomness for poll counts, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

// ----- cancel at every poll -----

const ROUNDS: usize = 400;
const MAX_POLLS: u64 = 8;

/// `send` dropped after k = 0..=8 polls (k = id mod 9), against a receiver doing real
/// `recv`s. Returns how many sends completed and how many values were received.
async fn send_cancel_rounds(cap: Option<usize>) -> (usize, usize) {
    let ledger = Ledger::new(ROUNDS);
    let (tx, rx) = channel::<Token>(cap);
    let (started, receiver_started) = tokio::sync::oneshot::channel();
    let receiver = tokio::spawn(async move {
        started.send(()).unwrap();
        let mut n = 0;
        while let Some(token) = rx.recv().await {
            token.take();
            n += 1;
            // Vary the phase so sends find the receiver both parked and busy.
            for _ in 0..n % 3 {
                tokio::task::yield_now().await;
            }
        }
    });
    receiver_started.await.unwrap();
    let mut completed = Vec::new();
    for id in 0..ROUNDS {
        let mut send = pin!(tx.send(ledger.token(id)));
        match poll_up_to(send.as_mut(), id as u64 % (MAX_POLLS + 1)).await {
            Some(Ok(())) => completed.push(id),
            Some(Err(e)) => panic!("cap {cap:?}: the receiver is alive, yet {e}"),
            None => {} // dropped here: the token was delivered or dropped with it
        }
    }
    drop(tx);
    receiver.await.unwrap();
    let what = format!("cap {cap:?}");
    ledger.assert_settled(&what);
    for id in 0..ROUNDS {
        assert_eq!(
            ledger.received(id) + ledger.dropped(id),
            1,
            "{what}: id {id}"
        );
    }
    for &id in &completed {
        assert_eq!(
            ledger.received(id),
            1,
            "{what}: id {id} completed but was not received"
        );
    }
    if cap.is_none() {
        let polled = (0..ROUNDS)
            .filter(|&id| !(id as u64).is_multiple_of(MAX_POLLS + 1))
            .count();
        assert_eq!(
            completed.len(),
            polled,
            "{what}: an unbounded send completes at its first poll"
        );
    }
    let received = (0..ROUNDS).filter(|&id| ledger.received(id) == 1).count();
    (completed.len(), received)
}

/// `recv` dropped after k = 0..=8 polls, against a sender doing real `send`s: every value
/// a dropped `recv` had taken goes back, so all arrive exactly once, in order, and none is
/// dropped. Returns how many `recv`s were dropped while pending.
async fn recv_cancel_rounds(cap: Option<usize>) -> usize {
    let ledger = Ledger::new(ROUNDS);
    let (tx, rx) = channel::<Token>(cap);
    let sender = {
        let ledger = ledger.clone();
        tokio::spawn(async move {
            for id in 0..ROUNDS {
                tx.send(ledger.token(id)).await.unwrap();
                for _ in 0..id % 3 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let mut order = Vec::new();
    let mut cancelled = 0;
    for k in 0.. {
        let mut recv = pin!(rx.recv());
        match poll_up_to(recv.as_mut(), k % (MAX_POLLS + 1)).await {
            Some(Some(token)) => order.push(token.take()),
            Some(None) => break,
            None => cancelled += 1, // dropped here, maybe holding a value it must give back
        }
    }
    sender.await.unwrap();
    let what = format!("cap {cap:?}");
    ledger.assert_all_received_once(&what);
    assert_eq!(
        order,
        (0..ROUNDS).collect::<Vec<_>>(),
        "{what}: one sender, one receiver: FIFO"
    );
    cancelled
}

/// One thread: the interleaving is deterministic, so the phases are known to be covered.
#[tokio::test]
async fn send_cancelled_after_every_number_of_polls() {
    for cap in [Some(0), Some(1), None] {
        let (completed, received) = send_cancel_rounds(cap).await;
        assert!(
            completed > 0 && completed < ROUNDS,
            "cap {cap:?}: {completed} completed"
        );
        // Some sends were dropped after their value was taken, some before.
        assert!(
            received > completed && received < ROUNDS || cap.is_none(),
            "cap {cap:?}: {received} received, {completed} completed"
        );
    }
}

#[tokio::test]
async fn recv_cancelled_after_every_number_of_polls() {
    for cap in [Some(0), Some(1), None] {
        assert!(recv_cancel_rounds(cap).await > 0);
    }
}

/// The same against a counterpart on another worker: real races, same ledger.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_and_recv_cancelled_across_threads() {
    for cap in [Some(0), Some(1), None] {
        send_cancel_rounds(cap).await;
        recv_cancel_rounds(cap).await;
    }
}

// ----- Go's TestMultiConsumer -----

/// 271,828 values from 4 producers through a 69-slot channel to 23 consumers, then close:
/// each value arrives exactly once, and each consumer sees each producer's values in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_consumer_delivers_each_value_once() {
    const N: u64 = 271_828;
    const PRODUCERS: u64 = 4;
    let (tx, rx) = chan::bounded::<u64>(23 * 3);
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let tx = tx.clone();
            tokio::spawn(async move {
                for v in (p..N).step_by(PRODUCERS as usize) {
                    tx.send(v).await.unwrap();
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..23)
        .map(|_| {
            let rx = rx.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                while let Some(v) = rx.recv().await {
                    got.push(v);
                }
                got
            })
        })
        .collect();
    drop(rx);
    for p in producers {
        p.await.unwrap();
    }
    assert!(tx.close(), "the senders were alive, so this close closes");
    let mut seen = vec![0u64; N.div_ceil(64) as usize];
    let (mut count, mut sum) = (0, 0);
    for c in consumers {
        let got = c.await.unwrap();
        for p in 0..PRODUCERS {
            let mine: Vec<_> = got.iter().filter(|v| *v % PRODUCERS == p).collect();
            assert!(
                mine.windows(2).all(|w| w[0] < w[1]),
                "producer {p} out of order"
            );
        }
        for v in got {
            let (word, bit) = ((v / 64) as usize, 1 << (v % 64));
            assert_eq!(seen[word] & bit, 0, "{v} received twice");
            seen[word] |= bit;
            count += 1;
            sum += v;
        }
    }
    assert_eq!(count, N);
    assert_eq!(sum, N * (N - 1) / 2);
}

// ----- blocking ends (std threads) and async ends on one channel -----

/// Checks that `got` holds every value of every sender exactly once, and each sender's
/// values in the order sent (values are `sender * PER + i`).
fn assert_per_sender_fifo(got: &[u32], senders: u32, per: u32) {
    assert_eq!(got.len(), (senders * per) as usize);
    for s in 0..senders {
        let mine: Vec<u32> = got.iter().copied().filter(|v| v / per == s).collect();
        assert_eq!(
            mine,
            (s * per..(s + 1) * per).collect::<Vec<_>>(),
            "sender {s}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iter_on_a_thread_collects_what_tasks_send() {
    const PER: u32 = 1_000;
    for cap in CAPS {
        let (tx, rx) = channel::<u32>(cap);
        let reader = thread::spawn(move || rx.iter().collect::<Vec<_>>());
        for s in 0..4 {
            let tx = tx.clone();
            tokio::spawn(async move {
                for i in 0..PER {
                    tx.send(s * PER + i).await.unwrap();
                }
            });
        }
        drop(tx);
        let got = tokio::task::spawn_blocking(move || reader.join().unwrap())
            .await
            .unwrap();
        assert_per_sender_fifo(&got, 4, PER);
    }
}

/// Three std threads on one end, three tokio tasks on the other, both directions: each
/// receiver sees each sender's values in order, and together they see all, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_and_async_ends_mix_on_one_channel() {
    const PER: u32 = 1_000;
    for cap in [Some(0), Some(1), None] {
        for threads_send in [true, false] {
            let (tx, rx) = channel::<u32>(cap);
            let (mut threads, mut tasks) = (Vec::new(), Vec::new());
            for s in 0..3 {
                let (tx, rx) = (tx.clone(), rx.clone());
                let values = s * PER..(s + 1) * PER;
                if threads_send {
                    threads.push(thread::spawn(move || {
                        values.for_each(|v| tx.send_blocking(v).unwrap());
                        Vec::new()
                    }));
                    tasks.push(tokio::spawn(async move {
                        let mut got = Vec::new();
                        while let Some(v) = rx.recv().await {
                            got.push(v);
                        }
                        got
                    }));
                } else {
                    threads.push(thread::spawn(move || {
                        std::iter::from_fn(|| rx.recv_blocking()).collect()
                    }));
                    tasks.push(tokio::spawn(async move {
                        for v in values {
                            tx.send(v).await.unwrap();
                        }
                        Vec::new()
                    }));
                }
            }
            drop((tx, rx));
            let mut per_receiver = Vec::new();
            for task in tasks {
                per_receiver.push(task.await.unwrap());
            }
            let joined = tokio::task::spawn_blocking(move || {
                threads
                    .into_iter()
                    .map(|t| t.join().unwrap())
                    .collect::<Vec<_>>()
            });
            per_receiver.extend(joined.await.unwrap());
            for got in &per_receiver {
                for s in 0..3 {
                    let mine: Vec<_> = got.iter().filter(|v| *v / PER == s).collect();
                    assert!(mine.is_sorted(), "cap {cap:?}: sender {s} out of order");
                }
            }
            let mut all = per_receiver.concat();
            all.sort_unstable();
            assert_eq!(
                all,
                (0..3 * PER).collect::<Vec<_>>(),
                "cap {cap:?}, threads send {threads_send}"
            );
        }
    }
}

// ----- stress: 8 producers x 8 consumers, blocking and async, random cancellation -----

fn spawn_async_producer(
    rt: &tokio::runtime::Runtime,
    tx: Sender<Token>,
    ledger: Arc<Ledger>,
    p: usize,
    n: usize,
) -> tokio::task::JoinHandle<u64> {
    rt.spawn(async move {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (p as u64 + 1));
        for id in (p..n).step_by(8) {
            let done = {
                let mut send = pin!(tx.send(ledger.token(id)));
                match poll_up_to(send.as_mut(), rng.below(4)).await {
                    Some(r) => Some(r),
                    // Keep the polled future and await it with a real waker.
                    None if rng.below(4) == 0 => Some(send.await),
                    None => None, // dropped at the end of this block
                }
            };
            match done {
                Some(r) => r.unwrap(),
                // The dropped send did not deliver: send the value again, for real.
                None if ledger.dropped(id) > 0 => tx.send(ledger.token(id)).await.unwrap(),
                None => {} // it was delivered before the future was dropped
            }
        }
        0
    })
}

fn spawn_async_consumer(
    rt: &tokio::runtime::Runtime,
    rx: Receiver<Token>,
    c: u64,
) -> tokio::task::JoinHandle<u64> {
    rt.spawn(async move {
        let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ (c + 1));
        let mut got = 0;
        loop {
            let next = {
                let mut recv = pin!(rx.recv());
                match poll_up_to(recv.as_mut(), rng.below(4)).await {
                    Some(v) => Some(v),
                    None if rng.below(4) == 0 => Some(recv.await),
                    None => None,
                }
            };
            match next {
                Some(Some(token)) => {
                    token.take();
                    got += 1;
                }
                Some(None) => return got,
                None => {}
            }
        }
    })
}

fn stress_once(cap: Option<usize>, n: usize) {
    let ledger = Ledger::new(n);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let (tx, rx) = channel::<Token>(cap);
    let mut threads: Vec<thread::JoinHandle<u64>> = Vec::new();
    let mut tasks: Vec<tokio::task::JoinHandle<u64>> = Vec::new();
    for p in 0..8 {
        let (tx, ledger) = (tx.clone(), ledger.clone());
        if p % 2 == 0 {
            threads.push(thread::spawn(move || {
                for id in (p..n).step_by(8) {
                    tx.send_blocking(ledger.token(id)).unwrap();
                }
                0
            }));
        } else {
            tasks.push(spawn_async_producer(&rt, tx, ledger, p, n));
        }
    }
    for c in 0..8 {
        let rx = rx.clone();
        match c % 4 {
            0 => threads.push(thread::spawn(move || {
                let mut got = 0;
                while let Some(token) = rx.recv_blocking() {
                    token.take();
                    got += 1;
                }
                got
            })),
            1 => threads.push(thread::spawn(move || {
                rx.iter().fold(0, |got, token| {
                    token.take();
                    got + 1
                })
            })),
            _ => tasks.push(spawn_async_consumer(&rt, rx, c)),
        }
    }
    drop((tx, rx));
    let from_tasks: u64 = rt.block_on(async {
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    });
    let from_threads: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let what = format!("cap {cap:?}");
    assert_eq!(
        from_tasks + from_threads,
        n as u64,
        "{what}: consumers' counts"
    );
    ledger.assert_all_received_once(&what);
}

/// Runs `stress_once` for each capacity on a worker thread; a hang fails the test
/// after `limit` instead of stalling the suite.
fn stress(per_cap: usize, limit: Duration) {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let worker = thread::spawn(move || {
        for cap in CAPS {
            stress_once(cap, per_cap);
            done_tx.send(cap).unwrap();
        }
    });
    for cap in CAPS {
        match done_rx.recv_timeout(limit) {
            Ok(_) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                std::panic::resume_unwind(worker.join().unwrap_err())
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                panic!("stress at cap {cap:?} hung for {limit:?}")
            }
        }
    }
    worker.join().unwrap();
}

#[test]
fn stress_mixed_ends_with_random_cancellation() {
    stress(25_000, Duration::from_secs(120));
}

#[test]
#[ignore = "soak: 10^6 values; run with --ignored"]
fn stress_soak() {
    stress(250_000, Duration::from_secs(1_200));
}
