//! Unit tests of [`Ring`]: order, capacity, reservations and holes, close, drop, and an
//! MPMC stress run (small under Miri).

use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};
use std::sync::{Arc, Barrier};

use super::{PopError, PushError, ReserveError, Ring};

/// Counts its drops in a shared counter.
#[derive(Debug)]
struct Counted(u32, Arc<StdAtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.1.fetch_add(1, StdOrdering::Relaxed);
    }
}

fn drain<T>(ring: &Ring<T>) -> Vec<T> {
    let mut out = Vec::new();
    while let Ok(v) = ring.try_pop() {
        out.push(v);
    }
    out
}

#[test]
fn values_come_out_in_push_order() {
    let ring = Ring::new(4);
    for i in 0..4 {
        ring.try_push(i).unwrap();
    }
    assert_eq!(drain(&ring), [0, 1, 2, 3]);
    assert_eq!(ring.try_pop(), Err(PopError::Empty));
}

#[test]
fn a_full_ring_refuses_and_returns_the_value() {
    let ring = Ring::new(2);
    assert!(ring.is_empty() && !ring.is_full());
    ring.try_push("a").unwrap();
    ring.try_push("b").unwrap();
    assert!(ring.is_full() && !ring.is_empty());
    assert_eq!(ring.try_push("c"), Err(PushError::Full("c")));
    assert_eq!(ring.try_push("c").unwrap_err().into_inner(), "c");
    assert_eq!(ring.try_reserve().unwrap_err(), ReserveError::Full);
    assert_eq!(ring.try_pop(), Ok("a"));
    ring.try_push("c").unwrap();
    assert_eq!(drain(&ring), ["b", "c"]);
}

#[test]
fn capacity_one_alternates() {
    let ring = Ring::new(1);
    assert_eq!(ring.capacity(), 1);
    for i in 0..10 {
        ring.try_push(i).unwrap();
        assert_eq!(ring.try_push(99), Err(PushError::Full(99)));
        assert_eq!(ring.try_pop(), Ok(i));
        assert_eq!(ring.try_pop(), Err(PopError::Empty));
    }
}

#[test]
#[should_panic(expected = "at least one slot")]
fn capacity_zero_is_refused() {
    let _ = Ring::<u8>::new(0);
}

#[test]
fn many_laps_wrap_around() {
    let ring = Ring::new(3);
    let laps = if cfg!(miri) { 20 } else { 10_000 };
    let mut next_in = 0u64;
    let mut next_out = 0u64;
    for lap in 0..laps {
        // Fill to a varying level, then drain part of it, so head and tail wrap at
        // every offset.
        while ring.try_push(next_in).is_ok() {
            next_in += 1;
        }
        for _ in 0..=(lap % 3) {
            assert_eq!(ring.try_pop(), Ok(next_out));
            next_out += 1;
        }
        assert_eq!(ring.len() as u64, next_in - next_out);
    }
    for v in drain(&ring) {
        assert_eq!(v, next_out);
        next_out += 1;
    }
    assert_eq!(next_in, next_out);
}

#[test]
fn reservations_keep_their_place_whatever_the_fill_order() {
    let ring = Ring::new(4);
    let a = ring.try_reserve().unwrap();
    let b = ring.try_reserve().unwrap();
    ring.try_push(3).unwrap();
    assert_eq!(ring.len(), 3);
    // The front is reserved: nothing behind it may come out first.
    assert_eq!(ring.try_pop(), Err(PopError::Pending));
    ring.fill(b, 2);
    assert_eq!(ring.try_pop(), Err(PopError::Pending));
    ring.fill(a, 1);
    assert_eq!(drain(&ring), [1, 2, 3]);
}

#[test]
fn cancelled_reservations_are_skipped_and_free_their_slot() {
    let ring = Ring::new(2);
    let a = ring.try_reserve().unwrap();
    let b = ring.try_reserve().unwrap();
    assert_eq!(ring.try_push(9), Err(PushError::Full(9)));
    ring.cancel(a);
    // A hole at the front is still a claimed slot until a pop passes it.
    assert_eq!(ring.len(), 2);
    assert_eq!(ring.try_pop(), Err(PopError::Pending)); // skips the hole, stops at `b`
    assert_eq!(ring.len(), 1);
    ring.try_push(7).unwrap(); // the hole's slot is free again
    ring.cancel(b);
    assert_eq!(ring.try_pop(), Ok(7));
    assert_eq!(ring.try_pop(), Err(PopError::Empty));
    assert!(ring.is_empty());
}

#[test]
fn a_push_into_a_full_ring_passes_the_holes_at_its_front() {
    let ring = Ring::new(3);
    let a = ring.try_reserve().unwrap();
    let b = ring.try_reserve().unwrap();
    ring.try_push(5).unwrap();
    ring.cancel(a);
    ring.cancel(b);
    // Full by claims, but the two front claims are holes: the pushes take their slots.
    ring.try_push(6).unwrap();
    ring.try_push(7).unwrap();
    assert_eq!(ring.try_push(8), Err(PushError::Full(8)));
    assert_eq!(drain(&ring), [5, 6, 7]);
    // A hole behind a value is passed once the value is popped and it is the front.
    ring.try_push(1).unwrap();
    let c = ring.try_reserve().unwrap();
    ring.try_push(2).unwrap();
    ring.cancel(c);
    assert_eq!(ring.try_pop(), Ok(1));
    ring.try_push(3).unwrap(); // the freed slot
    ring.try_push(4).unwrap(); // the hole's, now at the front
    assert_eq!(drain(&ring), [2, 3, 4]);
}

#[test]
fn a_ring_of_holes_drains_to_empty() {
    let ring = Ring::<u8>::new(3);
    for _ in 0..3 {
        let r = ring.try_reserve().unwrap();
        ring.cancel(r);
    }
    assert!(ring.is_full());
    assert_eq!(ring.try_pop(), Err(PopError::Empty));
    assert!(ring.is_empty());
}

#[test]
fn close_lets_earlier_values_and_reservations_out() {
    let ring = Ring::new(4);
    ring.try_push(1).unwrap();
    let r = ring.try_reserve().unwrap();
    let hole = ring.try_reserve().unwrap();
    assert!(ring.close());
    assert!(!ring.close());
    assert!(ring.is_closed());
    assert_eq!(ring.try_push(5), Err(PushError::Closed(5)));
    assert_eq!(ring.try_reserve().unwrap_err(), ReserveError::Closed);
    assert_eq!(ring.try_pop(), Ok(1));
    // Not `Closed` yet: a reservation is outstanding.
    assert_eq!(ring.try_pop(), Err(PopError::Pending));
    ring.fill(r, 2);
    assert_eq!(ring.try_pop(), Ok(2));
    assert_eq!(ring.try_pop(), Err(PopError::Pending));
    ring.cancel(hole);
    assert_eq!(ring.try_pop(), Err(PopError::Closed));
}

#[test]
fn a_full_closed_ring_says_closed() {
    let ring = Ring::new(1);
    ring.try_push(1).unwrap();
    ring.close();
    assert_eq!(ring.try_push(2), Err(PushError::Closed(2)));
    assert_eq!(ring.try_pop(), Ok(1));
    assert_eq!(ring.try_pop(), Err(PopError::Closed));
}

#[test]
fn drop_drops_what_is_left_and_only_that() {
    let drops = Arc::new(StdAtomicUsize::new(0));
    let ring = Ring::new(4);
    for i in 0..3 {
        ring.try_push(Counted(i, drops.clone())).unwrap();
    }
    let popped = ring.try_pop().unwrap();
    assert_eq!(popped.0, 0);
    drop(popped);
    let hole = ring.try_reserve().unwrap();
    ring.cancel(hole);
    // A reservation never filled (leaked) holds no value to drop.
    let _never_filled = ring.try_reserve().unwrap();
    assert_eq!(drops.load(StdOrdering::Relaxed), 1);
    drop(ring);
    assert_eq!(drops.load(StdOrdering::Relaxed), 3);
}

#[test]
fn drop_after_wrapping_drops_the_right_slots() {
    let drops = Arc::new(StdAtomicUsize::new(0));
    let ring = Ring::new(3);
    for i in 0..5 {
        ring.try_push(Counted(i, drops.clone())).unwrap();
        if i >= 1 {
            drop(ring.try_pop().unwrap());
        }
    }
    assert_eq!(drops.load(StdOrdering::Relaxed), 4);
    drop(ring); // holds value 4 only
    assert_eq!(drops.load(StdOrdering::Relaxed), 5);
}

#[test]
fn zero_sized_values() {
    let ring = Ring::new(2);
    ring.try_push(()).unwrap();
    let r = ring.try_reserve().unwrap();
    assert_eq!(ring.try_push(()), Err(PushError::Full(())));
    assert_eq!(ring.try_pop(), Ok(()));
    ring.fill(r, ());
    assert_eq!(ring.try_pop(), Ok(()));
    assert_eq!(ring.try_pop(), Err(PopError::Empty));
}

#[test]
fn len_counts_claims_and_version_moves_with_head_and_tail() {
    let ring = Ring::new(3);
    let v0 = ring.version();
    assert_eq!(ring.version(), v0, "no change, same version");
    ring.try_push(1).unwrap();
    let v1 = ring.version();
    assert_ne!(v1, v0);
    let r = ring.try_reserve().unwrap();
    let v2 = ring.version();
    assert_ne!(v2, v1);
    assert_eq!(ring.len(), 2);
    ring.fill(r, 2);
    assert_eq!(ring.version(), v2, "a fill moves neither counter");
    ring.close();
    assert_eq!(ring.version(), v2, "nor does close");
    assert_eq!(ring.try_pop(), Ok(1));
    assert_ne!(ring.version(), v2);
    assert_eq!(ring.len(), 1);
    // Over many laps the version never repeats.
    let ring = Ring::new(2);
    let mut seen = std::collections::HashSet::new();
    for i in 0..100 {
        ring.try_push(i).unwrap();
        assert!(seen.insert(ring.version()));
        ring.try_pop().unwrap();
        assert!(seen.insert(ring.version()));
    }
}

#[test]
#[should_panic(expected = "another ring")]
fn a_reservation_fits_only_its_own_ring() {
    let a = Ring::<u8>::new(1);
    let b = Ring::<u8>::new(1);
    let r = a.try_reserve().unwrap();
    let _ = b.try_reserve().unwrap();
    b.fill(r, 1);
}

#[test]
fn ring_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Ring<std::cell::Cell<u8>>>(); // `Send` is enough: values move, never shared
}

/// 4 producers and 4 consumers; some sends are reserve-then-fill, some reservations are
/// cancelled. Every value comes out exactly once, and each producer's values in order.
#[test]
fn mpmc_every_value_exactly_once() {
    const PRODUCERS: u64 = 4;
    const CONSUMERS: usize = 4;
    let per_producer: u64 = if cfg!(miri) { 50 } else { 100_000 };
    let ring = Arc::new(Ring::new(if cfg!(miri) { 3 } else { 64 }));
    let start = Arc::new(Barrier::new(PRODUCERS as usize + CONSUMERS));
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (ring, start) = (ring.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for i in 0..per_producer {
                    let value = p * per_producer + i;
                    if i % 7 == 1 {
                        // A hole before the value: reserved, then given up.
                        if let Ok(r) = ring.try_reserve() {
                            ring.cancel(r);
                        }
                    }
                    loop {
                        let sent = if i % 3 == 0 {
                            ring.try_push(value).is_ok()
                        } else {
                            match ring.try_reserve() {
                                Ok(r) => {
                                    ring.fill(r, value);
                                    true
                                }
                                Err(_) => false,
                            }
                        };
                        if sent {
                            break;
                        }
                        std::thread::yield_now();
                    }
                }
            })
        })
        .collect();
    crate::chan::buffer_tests::consume_and_check(
        &ring,
        |b| b.try_pop(),
        &start,
        producers,
        per_producer,
        CONSUMERS,
    );
    assert_eq!(ring.try_pop(), Err(PopError::Empty));
}

/// Rough single-threaded cost of a push+pop pair, next to `Mutex<VecDeque>` and std's
/// `sync_channel`. `cargo test -p goscope --lib --release ring_push_pop_cost -- --ignored
/// --nocapture`. No assertion: numbers only.
#[test]
#[ignore = "a microbenchmark: run by hand with --release --nocapture"]
fn ring_push_pop_cost() {
    use std::hint::black_box;
    use std::time::Instant;
    const N: u32 = 10_000_000;
    let ring = Ring::new(64);
    let t = Instant::now();
    for i in 0..N {
        ring.try_push(black_box(i)).unwrap();
        black_box(ring.try_pop().unwrap());
    }
    let ring_ns = t.elapsed().as_nanos() as f64 / f64::from(N);
    let t = Instant::now();
    for i in 0..N {
        let r = ring.try_reserve().unwrap();
        ring.fill(r, black_box(i));
        black_box(ring.try_pop().unwrap());
    }
    let reserve_ns = t.elapsed().as_nanos() as f64 / f64::from(N);
    let deque = std::sync::Mutex::new(std::collections::VecDeque::with_capacity(64));
    let t = Instant::now();
    for i in 0..N {
        deque.lock().unwrap().push_back(black_box(i));
        black_box(deque.lock().unwrap().pop_front().unwrap());
    }
    let deque_ns = t.elapsed().as_nanos() as f64 / f64::from(N);
    let (tx, rx) = std::sync::mpsc::sync_channel(64);
    let t = Instant::now();
    for i in 0..N {
        tx.try_send(black_box(i)).unwrap();
        black_box(rx.try_recv().unwrap());
    }
    let mpsc_ns = t.elapsed().as_nanos() as f64 / f64::from(N);
    println!(
        "push+pop: Ring {ring_ns:.1} ns, reserve+fill+pop {reserve_ns:.1} ns, \
         Mutex<VecDeque> {deque_ns:.1} ns, std sync_channel {mpsc_ns:.1} ns"
    );
}
