//! Channels, `goscope::chan`: FIFO order, rendezvous, non-blocking operations, close,
//! cancel safety of single operations, `Stream`, auto traits and error types.
//!
//! The scenarios are our versions of Go's `test/chan/*.go` and `runtime/chan_test.go`
//! (the select-based ones belong to `select.rs`). Orderings are forced by polling futures
//! by hand with a counting waker, or by channels and barriers; nothing sleeps. Std
//! threads mixed with tasks, cancellation loops with exactly-once accounting, and the
//! stress test live in `chan_stress.rs`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use futures_util::StreamExt;
use goscope::chan::{self, Receiver, SendError, Sender, TryRecvError, TrySendError};

/// `Some(cap)`: `bounded(cap)`; `None`: `unbounded()`.
fn channel<T>(cap: Option<usize>) -> (Sender<T>, Receiver<T>) {
    match cap {
        Some(cap) => chan::bounded(cap),
        None => chan::unbounded(),
    }
}

const CAPS: [Option<usize>; 4] = [Some(0), Some(1), Some(10), None];

/// A waker that counts how often it was woken, and polls futures with itself.
struct Probe(Arc<Wakes>);

#[derive(Default)]
struct Wakes(AtomicUsize);

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl Probe {
    fn new() -> Self {
        Self(Arc::default())
    }
    fn poll<F: Future + ?Sized>(&self, fut: Pin<&mut F>) -> Poll<F::Output> {
        let waker = Waker::from(self.0.clone());
        fut.poll(&mut Context::from_waker(&waker))
    }
    fn wakes(&self) -> usize {
        self.0.0.load(Ordering::SeqCst)
    }
}

/// For `start_paused` tests: a hang becomes a failure as soon as the runtime idles.
async fn within<F: Future>(fut: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), fut)
        .await
        .expect("the channel operation never completed")
}

// ----- FIFO -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifo_at_every_capacity() {
    const N: u64 = 1_000;
    for cap in CAPS {
        let (tx, rx) = channel(cap);
        let producer = tokio::spawn(async move {
            for i in 0..N {
                tx.send(i).await.unwrap();
            }
        });
        let mut got = Vec::new();
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
        producer.await.unwrap();
        assert_eq!(got, (0..N).collect::<Vec<_>>(), "cap {cap:?}");
    }
}

/// Go's `SynchFifo`: link `i` waits for its turn, receives from the shared rendezvous
/// channel, then hands the turn on, so link `i` must receive the `i`-th value sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifo_chain_of_rendezvous_links() {
    const N: usize = 100;
    let (tx, rx) = chan::bounded::<usize>(0);
    let (start, mut turn) = chan::bounded::<()>(0);
    let mut links = Vec::new();
    for _ in 0..N {
        let (next, next_turn) = chan::bounded::<()>(0);
        let rx = rx.clone();
        links.push(tokio::spawn(async move {
            turn.recv().await.unwrap();
            let v = rx.recv().await;
            next.send(()).await.unwrap();
            v
        }));
        turn = next_turn;
    }
    start.send(()).await.unwrap();
    for i in 0..N {
        tx.send(i).await.unwrap();
    }
    assert_eq!(turn.recv().await, Some(()));
    for (i, link) in links.into_iter().enumerate() {
        assert_eq!(link.await.unwrap(), Some(i));
    }
}

/// Pike's whispers (Go's `test/chan/goroutines.go`): 1,000 links each add one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daisy_chain_of_tasks() {
    const N: u64 = 1_000;
    let (first, leftmost) = chan::bounded::<u64>(0);
    let mut left = first;
    for _ in 0..N {
        let (right_tx, right) = chan::bounded(0);
        tokio::spawn(async move {
            let v = right.recv().await.unwrap();
            left.send(v + 1).await.unwrap();
        });
        left = right_tx;
    }
    left.send(1).await.unwrap();
    assert_eq!(leftmost.recv().await, Some(N + 1));
}

// ----- rendezvous -----

#[tokio::test]
async fn rendezvous_send_completes_only_when_a_receiver_takes_the_value() {
    let (tx, rx) = chan::bounded::<u32>(0);
    assert_eq!(tx.capacity(), Some(0));
    let probe = Probe::new();

    // Taken by `recv`.
    let mut send = Box::pin(tx.send(7));
    assert!(probe.poll(send.as_mut()).is_pending(), "no receiver yet");
    assert!(probe.poll(send.as_mut()).is_pending(), "still no receiver");
    assert_eq!(probe.wakes(), 0);
    assert_eq!((tx.len(), rx.len()), (0, 0), "a rendezvous buffers nothing");
    let mut recv = Box::pin(rx.recv());
    assert_eq!(Probe::new().poll(recv.as_mut()), Poll::Ready(Some(7)));
    assert!(probe.wakes() >= 1, "taking the value wakes the sender");
    assert!(matches!(probe.poll(send.as_mut()), Poll::Ready(Ok(()))));

    // Taken by `try_recv`: a parked sender makes the channel ready.
    let probe = Probe::new();
    let mut send = Box::pin(tx.send(8));
    assert!(probe.poll(send.as_mut()).is_pending());
    assert_eq!(rx.try_recv(), Ok(8));
    assert!(probe.wakes() >= 1);
    assert!(matches!(probe.poll(send.as_mut()), Poll::Ready(Ok(()))));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[tokio::test]
async fn rendezvous_try_send_needs_a_parked_receiver() {
    let (tx, rx) = chan::bounded::<String>(0);
    match tx.try_send("early".to_owned()) {
        Err(TrySendError::Full(v)) => assert_eq!(v, "early"),
        other => panic!("expected Full, got {other:?}"),
    }
    let probe = Probe::new();
    let mut recv = Box::pin(rx.recv());
    assert!(probe.poll(recv.as_mut()).is_pending(), "nothing sent yet");
    tx.try_send("met".to_owned()).unwrap();
    assert!(probe.wakes() >= 1, "the value wakes the parked receiver");
    assert_eq!(
        probe.poll(recv.as_mut()),
        Poll::Ready(Some("met".to_owned()))
    );
    drop(recv);
    // That receiver has been served: nobody is waiting any more.
    assert!(matches!(
        tx.try_send("late".to_owned()),
        Err(TrySendError::Full(v)) if v == "late"
    ));
}

// ----- non-blocking operations, len and capacity -----

#[tokio::test]
async fn try_send_and_try_recv_with_len_and_capacity() {
    let (tx, rx) = chan::bounded::<u32>(3);
    assert_eq!((tx.capacity(), rx.capacity()), (Some(3), Some(3)));
    let empty = rx.try_recv().unwrap_err();
    assert_eq!(empty, TryRecvError::Empty);
    assert!(empty.to_string().contains("empty"), "{empty}");
    assert!(tx.is_empty() && rx.is_empty());
    for i in 1..=3 {
        tx.try_send(i).unwrap();
        assert_eq!((tx.len(), rx.len()), (i as usize, i as usize));
    }
    assert!(!rx.is_empty());
    // Go's "send to a full channel blocks", and try_send hands the value back.
    let probe = Probe::new();
    assert!(probe.poll(Box::pin(tx.send(9)).as_mut()).is_pending());
    let full = tx.try_send(4).unwrap_err();
    assert!(full.to_string().contains("full"), "{full}");
    assert!(matches!(full, TrySendError::Full(4)));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.len(), 2);
    tx.try_send(4).unwrap();
    assert_eq!(
        std::iter::from_fn(|| rx.try_recv().ok()).collect::<Vec<_>>(),
        [2, 3, 4]
    );
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    // Go's "receive from an empty channel blocks", at every capacity.
    for cap in CAPS {
        let (_tx, rx) = channel::<u32>(cap);
        assert!(Probe::new().poll(Box::pin(rx.recv()).as_mut()).is_pending());
    }

    let (tx, rx) = chan::unbounded::<u32>();
    assert_eq!((tx.capacity(), rx.capacity()), (None, None));
    for i in 0..1_000 {
        tx.try_send(i).unwrap();
    }
    assert_eq!(rx.len(), 1_000);
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(tx.len(), 999);
}

/// Go's `TestNonblockRecvRace`: with a value buffered, a `try_recv` racing a `close`
/// sees the value or (after the other receiver took it) `Closed`, never `Empty`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_recv_racing_close_never_reports_empty() {
    for _ in 0..1_000 {
        let (tx, rx) = chan::bounded::<u32>(1);
        tx.try_send(1).unwrap();
        let racer = {
            let rx = rx.clone();
            tokio::spawn(async move { rx.try_recv() })
        };
        tx.close();
        let mine = rx.recv().await;
        match (mine, racer.await.unwrap()) {
            (Some(1), Err(TryRecvError::Closed)) | (None, Ok(1)) => {}
            other => panic!("the value was lost or seen twice: {other:?}"),
        }
    }
}

// ----- Go's sieve -----

fn first_primes(n: usize) -> Vec<u64> {
    (2u64..)
        .filter(|&k| (2..).take_while(|d| d * d <= k).all(|d| k % d != 0))
        .take(n)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sieve_finds_the_first_100_primes_and_unwinds() {
    let (gen_tx, mut ch) = chan::bounded::<u64>(0);
    let mut tasks = vec![tokio::spawn(async move {
        let mut i = 2;
        while gen_tx.send(i).await.is_ok() {
            i += 1;
        }
    })];
    let mut primes = Vec::new();
    for _ in 0..100 {
        let prime = ch.recv().await.unwrap();
        primes.push(prime);
        let (out, next) = chan::bounded(0);
        let input = ch;
        tasks.push(tokio::spawn(async move {
            while let Some(v) = input.recv().await {
                if v % prime != 0 && out.send(v).await.is_err() {
                    return;
                }
            }
        }));
        ch = next;
    }
    assert_eq!(primes, first_primes(100));
    assert_eq!(primes[99], 541);
    // Dropping the last receiver unwinds the chain: each filter's send fails, so it drops
    // its input and the filter before it fails next, back to the generator.
    drop(ch);
    for task in tasks {
        task.await.unwrap();
    }
}

// ----- close -----

#[tokio::test]
async fn close_keeps_buffered_values_then_gives_none() {
    let (tx, rx) = chan::bounded::<u32>(4);
    for i in 1..=3 {
        tx.send(i).await.unwrap();
    }
    assert!(!tx.is_closed());
    assert!(tx.close(), "the first close closes");
    assert!(!tx.close() && !rx.close(), "later closes report false");
    assert!(tx.is_closed() && rx.is_closed());
    assert_eq!(rx.len(), 3);
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.recv().await, Some(3));
    // Go's "receive from a closed channel": None, and it stays None.
    assert_eq!(rx.recv().await, None);
    assert_eq!(rx.recv().await, None);
    let closed = rx.try_recv().unwrap_err();
    assert_eq!(closed, TryRecvError::Closed);
    assert!(closed.to_string().contains("closed"), "{closed}");
}

#[tokio::test]
async fn send_on_a_closed_channel_hands_the_value_back() {
    for cap in CAPS {
        let (tx, rx) = channel::<String>(cap);
        assert!(rx.close(), "the receiving end can close");
        assert!(tx.is_closed());
        let SendError(v) = tx.send("a".to_owned()).await.unwrap_err();
        assert_eq!(v, "a");
        let err = tx.send("b".to_owned()).await.unwrap_err();
        assert!(err.to_string().contains("closed"), "{err}");
        match tx.try_send("c".to_owned()) {
            Err(e @ TrySendError::Closed(_)) => {
                assert!(e.to_string().contains("closed"), "{e}");
                assert!(matches!(e, TrySendError::Closed(v) if v == "c"));
            }
            other => panic!("expected Closed, got {other:?}"),
        }
        let SendError(v) = tx.send_blocking("d".to_owned()).unwrap_err();
        assert_eq!(v, "d");
        assert_eq!(rx.recv().await, None);
    }
}

#[tokio::test]
async fn dropping_the_last_sender_closes_but_one_of_two_does_not() {
    let (tx, rx) = chan::bounded::<u32>(4);
    let tx2 = tx.clone();
    tx.send(1).await.unwrap();
    drop(tx);
    assert!(!rx.is_closed(), "another sender is alive");
    tx2.send(2).await.unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx2.send(3).await.unwrap();
    drop(tx2);
    assert!(rx.is_closed());
    assert_eq!(
        rx.recv().await,
        Some(3),
        "buffered values outlive the senders"
    );
    assert_eq!(rx.recv().await, None);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[tokio::test]
async fn dropping_every_receiver_fails_sends_with_the_value() {
    for cap in CAPS {
        let (tx, rx) = channel::<u32>(cap);
        let rx2 = rx.clone();
        drop(rx);
        if cap != Some(0) {
            tx.send(1).await.unwrap();
        }
        drop(rx2);
        assert!(matches!(tx.send(2).await, Err(SendError(2))), "cap {cap:?}");
        assert!(matches!(tx.try_send(3), Err(TrySendError::Closed(3))));
        assert!(matches!(tx.send_blocking(4), Err(SendError(4))));
    }
}

#[tokio::test]
async fn close_wakes_parked_receivers_with_none() {
    for (cap, by_close) in CAPS.into_iter().flat_map(|c| [(c, true), (c, false)]) {
        let (tx, rx) = channel::<u32>(cap);
        let ends = [rx.clone(), rx.clone(), rx];
        let probes = [Probe::new(), Probe::new(), Probe::new()];
        let mut recvs: Vec<_> = ends.iter().map(|rx| Box::pin(rx.recv())).collect();
        for (probe, recv) in probes.iter().zip(&mut recvs) {
            assert!(probe.poll(recv.as_mut()).is_pending());
        }
        if by_close {
            assert!(tx.close());
        } else {
            drop(tx);
        }
        for (probe, recv) in probes.iter().zip(&mut recvs) {
            assert!(probe.wakes() >= 1, "cap {cap:?}, close {by_close}");
            assert_eq!(probe.poll(recv.as_mut()), Poll::Ready(None));
        }
    }
}

#[tokio::test]
async fn close_wakes_parked_senders_with_their_values() {
    for (cap, by_close) in [0, 1, 2].into_iter().flat_map(|c| [(c, true), (c, false)]) {
        let (tx, rx) = chan::bounded::<usize>(cap);
        for i in 0..cap {
            tx.try_send(100 + i).unwrap();
        }
        let ends = [tx.clone(), tx];
        let probes = [Probe::new(), Probe::new()];
        let mut sends: Vec<_> = ends
            .iter()
            .zip([1, 2])
            .map(|(tx, v)| Box::pin(tx.send(v)))
            .collect();
        for (probe, send) in probes.iter().zip(&mut sends) {
            assert!(probe.poll(send.as_mut()).is_pending());
        }
        if by_close {
            assert!(rx.close());
        } else {
            drop(rx);
        }
        for ((probe, send), v) in probes.iter().zip(&mut sends).zip([1, 2]) {
            assert!(probe.wakes() >= 1, "cap {cap}, close {by_close}");
            assert!(matches!(probe.poll(send.as_mut()), Poll::Ready(Err(SendError(x))) if x == v));
        }
    }
}

#[tokio::test]
async fn buffered_values_survive_a_close_that_fails_parked_senders() {
    let (tx, rx) = chan::bounded::<u32>(2);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    let mut parked = Box::pin(tx.send(3));
    assert!(Probe::new().poll(parked.as_mut()).is_pending());
    assert!(rx.close());
    assert!(matches!(
        Probe::new().poll(parked.as_mut()),
        Poll::Ready(Err(SendError(3)))
    ));
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(rx.recv().await, Some(2));
    assert_eq!(rx.recv().await, None);
}

#[test]
fn close_unblocks_blocking_ends() {
    let (quiet_tx, quiet_rx) = chan::bounded::<u32>(0);
    let (full_tx, full_rx) = chan::bounded::<u32>(0);
    let barrier = Arc::new(Barrier::new(3));
    let receiver = {
        let (barrier, rx) = (barrier.clone(), quiet_rx.clone());
        thread::spawn(move || {
            barrier.wait();
            rx.recv_blocking()
        })
    };
    let sender = {
        let (barrier, tx) = (barrier.clone(), full_tx.clone());
        thread::spawn(move || {
            barrier.wait();
            tx.send_blocking(5)
        })
    };
    barrier.wait();
    assert!(quiet_tx.close());
    assert!(full_rx.close());
    assert_eq!(receiver.join().unwrap(), None);
    assert!(matches!(sender.join().unwrap(), Err(SendError(5))));
}

// ----- cancel safety of single operations (the loops are in chan_stress.rs) -----

/// A value handed to a parked receiver whose `recv` is then dropped before it is polled
/// again goes to the next `recv`, at every capacity.
#[tokio::test(start_paused = true)]
async fn value_handed_to_a_dropped_recv_goes_to_the_next_recv() {
    for cap in [Some(0), Some(1), None] {
        let (tx, rx) = channel::<u32>(cap);
        let mut parked = Box::pin(rx.recv());
        assert!(Probe::new().poll(parked.as_mut()).is_pending());
        tx.try_send(42).unwrap();
        drop(parked);
        assert_eq!(within(rx.recv()).await, Some(42), "cap {cap:?}");
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        if cap == Some(0) {
            assert!(
                matches!(tx.try_send(43), Err(TrySendError::Full(43))),
                "no slot left"
            );
        }
    }
}

/// With two parked receivers, dropping the one that was handed the value lets the
/// other (or the next `recv`) have it: exactly one 42 comes out.
#[tokio::test(start_paused = true)]
async fn value_handed_to_a_dropped_recv_goes_to_the_other_receiver() {
    for cap in [Some(0), Some(1), None] {
        let (tx, rx) = channel::<u32>(cap);
        let (rx1, rx2) = (rx.clone(), rx.clone());
        let (p1, p2) = (Probe::new(), Probe::new());
        let mut r1 = Box::pin(rx1.recv());
        let mut r2 = Box::pin(rx2.recv());
        assert!(p1.poll(r1.as_mut()).is_pending() && p2.poll(r2.as_mut()).is_pending());
        tx.try_send(42).unwrap();
        // Whichever receiver was handed the value, drop that one first.
        let (woken, mut other, other_probe) = if p1.wakes() > 0 {
            (r1, r2, p2)
        } else {
            (r2, r1, p1)
        };
        drop(woken);
        match other_probe.poll(other.as_mut()) {
            Poll::Ready(v) => assert_eq!(v, Some(42), "cap {cap:?}"),
            Poll::Pending => {
                drop(other);
                assert_eq!(within(rx.recv()).await, Some(42), "cap {cap:?}");
            }
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }
}

/// A parked `recv` that is dropped takes no later value: with nobody waiting, a
/// rendezvous `try_send` is `Full` again.
#[tokio::test]
async fn dropped_parked_recv_leaves_no_phantom_receiver() {
    let (tx, rx) = chan::bounded::<u32>(0);
    let mut recv = Box::pin(rx.recv());
    assert!(Probe::new().poll(recv.as_mut()).is_pending());
    drop(recv);
    assert!(matches!(tx.try_send(1), Err(TrySendError::Full(1))));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

/// A parked operation polled again with another waker wakes that one (a task that moved
/// between workers, or a future first polled by hand and then awaited).
#[tokio::test]
async fn a_parked_operation_wakes_its_latest_waker() {
    let (tx, rx) = chan::bounded::<u32>(0);
    let (first, second) = (Probe::new(), Probe::new());
    let mut recv = Box::pin(rx.recv());
    assert!(first.poll(recv.as_mut()).is_pending());
    assert!(second.poll(recv.as_mut()).is_pending());
    tx.try_send(1).unwrap();
    assert!(second.wakes() >= 1, "the latest waker is woken");
    assert_eq!(second.poll(recv.as_mut()), Poll::Ready(Some(1)));

    let (first, second) = (Probe::new(), Probe::new());
    let mut send = Box::pin(tx.send(2));
    assert!(first.poll(send.as_mut()).is_pending());
    assert!(second.poll(send.as_mut()).is_pending());
    assert_eq!(rx.try_recv(), Ok(2));
    assert!(second.wakes() >= 1, "the latest waker is woken");
    assert!(matches!(second.poll(send.as_mut()), Poll::Ready(Ok(()))));
}

#[tokio::test]
async fn dropped_parked_send_delivers_nothing() {
    for cap in [0, 1, 3] {
        let (tx, rx) = chan::bounded::<usize>(cap);
        for i in 0..cap {
            tx.try_send(i).unwrap();
        }
        let mut send = Box::pin(tx.send(99));
        assert!(Probe::new().poll(send.as_mut()).is_pending());
        drop(send);
        let got: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        assert_eq!(got, (0..cap).collect::<Vec<_>>(), "cap {cap}");
        match tx.try_send(7) {
            Err(TrySendError::Full(7)) => assert_eq!(cap, 0, "room was left"),
            Ok(()) => assert_ne!(cap, 0, "a rendezvous with no receiver accepted a value"),
            other => panic!("{other:?}"),
        }
    }
}

// ----- Stream (iter and the blocking ends are in chan_stress.rs) -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_is_a_stream() {
    for cap in CAPS {
        let (tx, rx) = channel::<u32>(cap);
        tokio::spawn(async move {
            for i in 0..500 {
                tx.send(i).await.unwrap();
            }
        });
        let got: Vec<u32> = rx.collect().await;
        assert_eq!(got, (0..500).collect::<Vec<_>>(), "cap {cap:?}");
    }
    let (tx, mut rx) = chan::bounded::<u32>(2);
    tx.send(1).await.unwrap();
    tx.close();
    assert_eq!(rx.next().await, Some(1));
    assert_eq!(rx.next().await, None);
}

// ----- auto traits and error types -----

#[test]
fn ends_are_clone_send_and_sync_and_errors_are_std_errors() {
    fn send_sync_clone<T: Send + Sync + Clone>() {}
    fn error<E: std::error::Error + Send + Sync + 'static>() {}
    send_sync_clone::<Sender<u64>>();
    send_sync_clone::<Receiver<u64>>();
    // `T: Send` is enough: `Cell` is not `Sync`.
    send_sync_clone::<Sender<std::cell::Cell<u8>>>();
    send_sync_clone::<Receiver<std::cell::Cell<u8>>>();
    error::<SendError<u64>>();
    error::<TrySendError<u64>>();
    error::<TryRecvError>();
}
