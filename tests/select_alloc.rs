//! `select!` allocates nothing when a case is ready, and one state block when it parks:
//! measured by a counting global allocator (per thread, so the runtime's own threads do
//! not count).

use std::future::{Future, ready};
use std::pin::pin;
use std::task::{Context, Poll};

use futures_util::task::noop_waker_ref;
use goscope::{chan, select};
use goscope_tests::allocations;

#[global_allocator]
static GLOBAL: goscope_tests::Counting = goscope_tests::Counting;

/// Polls `fut` once with a no-op waker.
fn poll_once<F: Future>(fut: F) -> Poll<F::Output> {
    let mut cx = Context::from_waker(noop_waker_ref());
    pin!(fut).poll(&mut cx)
}

#[test]
fn a_ready_select_allocates_nothing_and_a_parked_one_allocates_its_state_once() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let chans: Vec<_> = (0..8).map(|_| chan::bounded::<u64>(64)).collect();
    let (txs, rxs): (Vec<_>, Vec<_>) = chans.into_iter().unzip();
    for tx in &txs {
        for v in 0..32 {
            tx.try_send(v).unwrap();
        }
    }
    let (_out_tx, out_rx) = chan::bounded::<u64>(0);
    // Warm up lazily initialised thread-locals (the select RNG).
    let _ = poll_once(async {
        select! { v = recv(rxs[0]) => v }
    });

    // One case, awaited.
    let (got, n) = allocations(|| {
        poll_once(async {
            select! { v = recv(rxs[0]) => v }
        })
    });
    assert!(matches!(got, Poll::Ready(Some(_))));
    assert_eq!(n, 0, "one ready recv case");

    // Eight cases of every kind, awaited: recv, send, a future. The first run may grow a
    // channel's waiter slab (a send case reserves its buffer slot through an entry);
    // entries are reused, so from the second run on nothing is allocated.
    let eight = || {
        poll_once(async {
            select! {
                v = recv(rxs[0]) => v,
                v = recv(rxs[1]) => v,
                v = recv(rxs[2]) => v,
                v = recv(rxs[3]) => v,
                v = recv(rxs[4]) => v,
                v = recv(rxs[5]) => v,
                _ = send(txs[6], 1) => None,
                v = ready(7u64) => Some(v),
            }
        })
    };
    let _ = poll_once(async {
        select! { _ = send(txs[6], 1) => () }
    });
    let _ = rxs[6].try_recv();
    for _ in 0..100 {
        let (got, n) = allocations(eight);
        assert!(matches!(got, Poll::Ready(_)));
        assert_eq!(n, 0, "eight ready cases");
        let _ = out_rx.try_recv();
        let _ = rxs[6].try_recv();
    }

    // With `default`.
    let (got, n) = allocations(|| {
        select! {
            v = recv(rxs[7]) => v,
            v = recv(out_rx) => v,
            default => None,
        }
    });
    assert!(got.is_some());
    assert_eq!(n, 0, "default, a case ready");

    // Nothing ready: the select parks, which allocates its shared state (one `Arc`);
    // the channels' waiter slots are allocated on the first park only and reused after.
    // (Two cases: a `select!` of one receive is the receive itself, which parks with no
    // allocation of its own.)
    let (_idle_tx, idle) = chan::bounded::<u64>(0);
    let park = || {
        poll_once(async {
            select! {
                v = recv(out_rx) => v,
                v = recv(idle) => v,
            }
        })
    };
    let _ = park();
    for _ in 0..10 {
        let (got, n) = allocations(park);
        assert!(got.is_pending());
        assert_eq!(n, 1, "parking allocates the shared state, once");
    }
}
