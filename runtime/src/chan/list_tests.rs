//! Unit tests of [`List`]: order across blocks, reservations and holes, close, drop,
//! memory following the backlog (through the `live_blocks` debug counter), and an MPMC
//! stress run (small under Miri).
//!
//! Memory is measured by a counter on the list itself (`cfg(test)` only) rather than a
//! counting `#[global_allocator]`: the type is `pub(crate)`, so an integration test
//! cannot reach it, and a global allocator in the lib's test binary would count every
//! other test running in parallel.

use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};
use std::sync::{Arc, Barrier};

use super::{BLOCK_CAP, List};
use crate::chan::ring::{PopError, PushError, ReserveError};

#[derive(Debug)]
struct Counted(Arc<StdAtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, StdOrdering::Relaxed);
    }
}

fn live_blocks<T>(list: &List<T>) -> usize {
    list.live_blocks.load(StdOrdering::Relaxed)
}

fn drain<T>(list: &List<T>) -> Vec<T> {
    let mut out = Vec::new();
    while let Ok(v) = list.try_pop() {
        out.push(v);
    }
    out
}

#[test]
fn values_come_out_in_push_order_across_blocks() {
    let list = List::new();
    let n = 5 * BLOCK_CAP + 3;
    for i in 0..n {
        list.try_push(i).unwrap();
        assert_eq!(list.len(), i + 1);
    }
    assert_eq!(drain(&list), (0..n).collect::<Vec<_>>());
    assert_eq!(list.try_pop(), Err(PopError::Empty));
    assert!(list.is_empty());
}

#[test]
fn interleaved_push_and_pop_cross_many_blocks() {
    let list = List::new();
    let rounds = if cfg!(miri) { 100 } else { 10_000 };
    let (mut next_in, mut next_out) = (0, 0);
    for round in 0..rounds {
        for _ in 0..=(round % 5) {
            list.try_push(next_in).unwrap();
            next_in += 1;
        }
        for _ in 0..=(round % 4) {
            match list.try_pop() {
                Ok(v) => {
                    assert_eq!(v, next_out);
                    next_out += 1;
                }
                Err(e) => assert_eq!(e, PopError::Empty),
            }
        }
        assert_eq!(list.len(), next_in - next_out);
    }
}

#[test]
fn reservations_keep_their_place_across_a_block_boundary() {
    let list = List::new();
    for i in 0..BLOCK_CAP - 1 {
        list.try_push(i).unwrap();
    }
    // The last slot of the first block and the first of the second.
    let a = list.try_reserve().unwrap();
    let b = list.try_reserve().unwrap();
    list.try_push(100).unwrap();
    assert_eq!(list.len(), BLOCK_CAP + 2);
    assert_eq!(drain(&list), (0..BLOCK_CAP - 1).collect::<Vec<_>>());
    assert_eq!(list.try_pop(), Err(PopError::Pending));
    list.fill(b, 99);
    assert_eq!(list.try_pop(), Err(PopError::Pending));
    list.fill(a, 98);
    assert_eq!(drain(&list), [98, 99, 100]);
    assert_eq!(live_blocks(&list), 1);
}

#[test]
fn cancelled_reservations_are_skipped() {
    let list = List::new();
    let a = list.try_reserve().unwrap();
    list.try_push(1).unwrap();
    let b = list.try_reserve().unwrap();
    list.try_push(2).unwrap();
    list.cancel(a);
    assert_eq!(list.len(), 4, "a hole counts until the head passes it");
    assert_eq!(list.try_pop(), Ok(1));
    assert_eq!(list.try_pop(), Err(PopError::Pending));
    list.cancel(b);
    assert_eq!(list.try_pop(), Ok(2));
    assert_eq!(list.try_pop(), Err(PopError::Empty));
}

#[test]
fn blocks_of_holes_are_freed() {
    let list = List::<u8>::new();
    for _ in 0..3 * BLOCK_CAP {
        let r = list.try_reserve().unwrap();
        list.cancel(r);
    }
    assert_eq!(live_blocks(&list), 4);
    assert_eq!(list.try_pop(), Err(PopError::Empty));
    assert_eq!(live_blocks(&list), 1);
    assert!(list.is_empty());
}

#[test]
fn close_lets_earlier_values_and_reservations_out() {
    let list = List::new();
    list.try_push(1).unwrap();
    let r = list.try_reserve().unwrap();
    let hole = list.try_reserve().unwrap();
    assert!(list.close());
    assert!(!list.close());
    assert!(list.is_closed());
    assert_eq!(list.try_push(5), Err(PushError::Closed(5)));
    assert_eq!(list.try_reserve().unwrap_err(), ReserveError::Closed);
    assert_eq!(list.try_pop(), Ok(1));
    assert_eq!(list.try_pop(), Err(PopError::Pending));
    list.fill(r, 2);
    assert_eq!(list.try_pop(), Ok(2));
    list.cancel(hole);
    assert_eq!(list.try_pop(), Err(PopError::Closed));
}

#[test]
fn drop_drops_what_is_left_and_frees_every_block() {
    let drops = Arc::new(StdAtomicUsize::new(0));
    let list = List::new();
    let n = 2 * BLOCK_CAP + 5;
    for _ in 0..n {
        list.try_push(Counted(drops.clone())).unwrap();
    }
    for _ in 0..BLOCK_CAP + 1 {
        drop(list.try_pop().unwrap());
    }
    let hole = list.try_reserve().unwrap();
    list.cancel(hole);
    let _never_filled = list.try_reserve().unwrap(); // holds a slot, but no value
    assert_eq!(drops.load(StdOrdering::Relaxed), BLOCK_CAP + 1);
    drop(list); // would leak blocks under Miri if any were left
    assert_eq!(drops.load(StdOrdering::Relaxed), n);
}

#[test]
fn zero_sized_values() {
    let list = List::new();
    for _ in 0..2 * BLOCK_CAP {
        list.try_push(()).unwrap();
    }
    assert_eq!(drain(&list).len(), 2 * BLOCK_CAP);
}

#[test]
fn version_moves_with_reservations_and_pops_only() {
    let list = List::new();
    let v0 = list.version();
    let r = list.try_reserve().unwrap();
    let v1 = list.version();
    assert_ne!(v1, v0);
    assert_eq!(list.try_pop(), Err(PopError::Pending));
    assert_eq!(list.version(), v1, "a pending claim moves nothing");
    list.fill(r, 7);
    assert_eq!(list.version(), v1, "nor does a fill");
    assert_eq!(list.try_pop(), Ok(7));
    assert_ne!(list.version(), v1);
    let mut seen = std::collections::HashSet::new();
    for i in 0..3 * BLOCK_CAP {
        list.try_push(i).unwrap();
        assert!(seen.insert(list.version()));
        list.try_pop().unwrap();
        assert!(seen.insert(list.version()));
    }
}

#[test]
#[should_panic(expected = "another list")]
fn a_reservation_fits_only_its_own_list() {
    let a = List::<u8>::new();
    let b = List::<u8>::new();
    b.cancel(a.try_reserve().unwrap());
}

#[test]
fn list_and_reservation_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<List<std::cell::Cell<u8>>>();
    check::<super::Reservation>();
}

/// After a burst is drained, the list holds one block; during a steady trickle, at most
/// two.
#[test]
fn memory_follows_the_backlog() {
    let n = if cfg!(miri) { 200 } else { 100_000 };
    let list = List::new();
    assert_eq!(live_blocks(&list), 1);
    for i in 0..n {
        list.try_push(i).unwrap();
    }
    assert!(live_blocks(&list) >= n / BLOCK_CAP);
    for i in 0..n {
        assert_eq!(list.try_pop(), Ok(i));
    }
    assert!(
        live_blocks(&list) <= 2,
        "{} blocks left",
        live_blocks(&list)
    );
    for i in 0..n {
        list.try_push(i).unwrap();
        if i % 3 == 2 {
            for _ in 0..3 {
                list.try_pop().unwrap();
            }
            assert!(live_blocks(&list) <= 2);
        }
    }
}

/// 4 producers and 4 consumers; some sends are reserve-then-fill, some reservations are
/// cancelled. Every value comes out exactly once, each producer's in order, and no block
/// is left but the last.
#[test]
fn mpmc_every_value_exactly_once() {
    const PRODUCERS: u64 = 4;
    const CONSUMERS: usize = 4;
    let per_producer: u64 = if cfg!(miri) { 50 } else { 100_000 };
    let list = Arc::new(List::new());
    let start = Arc::new(Barrier::new(PRODUCERS as usize + CONSUMERS));
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (list, start) = (list.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for i in 0..per_producer {
                    let value = p * per_producer + i;
                    if i % 7 == 1 {
                        list.cancel(list.try_reserve().unwrap());
                    }
                    if i % 3 == 0 {
                        list.try_push(value).unwrap();
                    } else {
                        let r = list.try_reserve().unwrap();
                        list.fill(r, value);
                    }
                }
            })
        })
        .collect();
    crate::chan::buffer_tests::consume_and_check(
        &list,
        |b| b.try_pop(),
        &start,
        producers,
        per_producer,
        CONSUMERS,
    );
    assert_eq!(list.try_pop(), Err(PopError::Empty));
    assert_eq!(live_blocks(&list), 1);
}

/// Rough single-threaded cost of a push+pop pair on the list.
/// `cargo test -p goscope --lib --release list_push_pop_cost -- --ignored --nocapture`.
#[test]
#[ignore = "a microbenchmark: run by hand with --release --nocapture"]
fn list_push_pop_cost() {
    use std::hint::black_box;
    use std::time::Instant;
    const N: u32 = 10_000_000;
    let list = List::new();
    let t = Instant::now();
    for i in 0..N {
        list.try_push(black_box(i)).unwrap();
        black_box(list.try_pop().unwrap());
    }
    let pair_ns = t.elapsed().as_nanos() as f64 / f64::from(N);
    let t = Instant::now();
    for _ in 0..N / 1000 {
        for i in 0..1000 {
            list.try_push(black_box(i)).unwrap();
        }
        for _ in 0..1000 {
            black_box(list.try_pop().unwrap());
        }
    }
    let burst_ns = t.elapsed().as_nanos() as f64 / f64::from(N);
    println!("List: push+pop {pair_ns:.1} ns, bursts of 1000 {burst_ns:.1} ns per pair");
}
