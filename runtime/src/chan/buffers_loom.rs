//! loom models of the engine v2's lock-free buffers, [`Ring`] and [`List`]: every
//! interleaving of the threads below is explored (`List` has 3-slot blocks under loom,
//! so a few values cross a block boundary).
//!
//! Run: `LOOM_MAX_PREEMPTIONS=5 RUSTFLAGS="--cfg goscope_loom" cargo test -p goscope
//! --lib --release loom`
//!
//! What they leave out: `len`, `version` and `Debug` (plain loads); wrap-around of the
//! `usize` positions; more than two racing threads besides the model's main thread.

use loom::thread;

use super::list::List;
use super::ring::{PopError, PushError, Ring};
use crate::loom::Arc;

/// Tries `pops` pops while other threads run, then drains what is left once they are
/// done: the values in the order they came out. A concurrent pop may find the buffer
/// empty or its front pending, never closed.
fn pop_concurrently_then_drain<T: Fn() -> Result<u32, PopError>>(
    pops: usize,
    pop: T,
    join: impl FnOnce(),
) -> Vec<u32> {
    let mut got = Vec::new();
    for _ in 0..pops {
        match pop() {
            Ok(v) => got.push(v),
            Err(e) => assert_ne!(e, PopError::Closed),
        }
    }
    join();
    while let Ok(v) = pop() {
        got.push(v);
    }
    assert_eq!(pop(), Err(PopError::Empty), "everything is filled by now");
    got
}

/// Two pushers and a popper on a ring of `cap` slots: each value comes out exactly once,
/// or was refused as `Full` (only while the other one was in the ring).
fn two_pushers_one_popper(cap: usize) {
    loom::model(move || {
        let ring = Arc::new(Ring::new(cap));
        let pushers: Vec<_> = [1, 2]
            .into_iter()
            .map(|v| {
                let ring = ring.clone();
                thread::spawn(move || ring.try_push(v))
            })
            .collect();
        let mut refused = Vec::new();
        let mut got = pop_concurrently_then_drain(
            2,
            || ring.try_pop(),
            || {
                for p in pushers {
                    match p.join().unwrap() {
                        Ok(()) => {}
                        Err(PushError::Full(v)) => refused.push(v),
                        Err(PushError::Closed(_)) => unreachable!("never closed"),
                    }
                }
            },
        );
        assert!(refused.len() < 2, "an empty ring refused a value");
        assert!(cap == 1 || refused.is_empty());
        got.extend(refused);
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}

#[test]
fn loom_ring_two_pushers_one_popper_cap1() {
    two_pushers_one_popper(1);
}

#[test]
fn loom_ring_two_pushers_one_popper_cap2() {
    two_pushers_one_popper(2);
}

/// A reservation at the front is cancelled while a pop runs: the pop sees `Pending` or
/// the value behind the hole, never the hole and never anything out of order.
#[test]
fn loom_ring_cancel_races_a_pop() {
    loom::model(|| {
        let ring = Arc::new(Ring::new(2));
        let r = ring.try_reserve().unwrap();
        ring.try_push(7).unwrap();
        let canceller = {
            let ring = ring.clone();
            thread::spawn(move || ring.cancel(r))
        };
        match ring.try_pop() {
            Ok(v) => assert_eq!(v, 7),
            Err(e) => {
                assert_eq!(e, PopError::Pending);
                canceller.join().unwrap();
                assert_eq!(ring.try_pop(), Ok(7));
                return;
            }
        }
        canceller.join().unwrap();
        assert_eq!(ring.try_pop(), Err(PopError::Empty));
    });
}

/// A reservation at the front is filled while a pop runs: its value comes out first.
#[test]
fn loom_ring_fill_races_a_pop() {
    loom::model(|| {
        let ring = Arc::new(Ring::new(2));
        let r = ring.try_reserve().unwrap();
        ring.try_push(2).unwrap();
        let filler = {
            let ring = ring.clone();
            thread::spawn(move || ring.fill(r, 1))
        };
        let got = pop_concurrently_then_drain(
            1,
            || ring.try_pop(),
            || {
                filler.join().unwrap();
            },
        );
        assert_eq!(got, [1, 2]);
    });
}

/// `close` races a push and a reservation (filled if it succeeds): each either
/// succeeded and its value comes out, or failed with `Closed` and nothing comes out.
#[test]
fn loom_ring_close_races_a_reserve_and_a_push() {
    loom::model(|| {
        let ring = Arc::new(Ring::new(2));
        let pusher = {
            let ring = ring.clone();
            thread::spawn(move || ring.try_push(1).is_ok())
        };
        let reserver = {
            let ring = ring.clone();
            thread::spawn(move || match ring.try_reserve() {
                Ok(r) => {
                    ring.fill(r, 2);
                    true
                }
                Err(_) => false,
            })
        };
        assert!(ring.close());
        let mut expected = Vec::new();
        if pusher.join().unwrap() {
            expected.push(1);
        }
        if reserver.join().unwrap() {
            expected.push(2);
        }
        let mut got = Vec::new();
        loop {
            match ring.try_pop() {
                Ok(v) => got.push(v),
                Err(PopError::Closed) => break,
                Err(e) => panic!("{e:?} after every operation finished"),
            }
        }
        got.sort_unstable();
        assert_eq!(got, expected);
    });
}

/// Two pushers and a popper on a list whose first block has one free slot: one value
/// takes it and installs the next block, the other lands there; each comes out once,
/// after the values pushed before.
#[test]
fn loom_list_pushers_and_a_popper_across_a_block() {
    loom::model(|| {
        let list = Arc::new(List::new());
        list.try_push(0).unwrap();
        list.try_push(0).unwrap();
        let pushers: Vec<_> = [1, 2]
            .into_iter()
            .map(|v| {
                let list = list.clone();
                thread::spawn(move || list.try_push(v).unwrap())
            })
            .collect();
        let got = pop_concurrently_then_drain(
            3,
            || list.try_pop(),
            || {
                for p in pushers {
                    p.join().unwrap();
                }
            },
        );
        assert_eq!(got[..2], [0, 0]);
        let mut rest = got[2..].to_vec();
        rest.sort_unstable();
        assert_eq!(rest, [1, 2]);
    });
}

/// Two poppers race for the last slot of a block and the first of the next: the one
/// that takes the last slot frees the block while the other pops on.
#[test]
fn loom_list_two_poppers_across_a_freed_block() {
    loom::model(|| {
        let list = Arc::new(List::new());
        for v in 1..=4 {
            list.try_push(v).unwrap();
        }
        // Block 0 holds 1, 2, 3; block 1 holds 4. Pop the first two here.
        assert_eq!(list.try_pop(), Ok(1));
        assert_eq!(list.try_pop(), Ok(2));
        let other = {
            let list = list.clone();
            thread::spawn(move || list.try_pop().unwrap())
        };
        let mine = list.try_pop().unwrap();
        let theirs = other.join().unwrap();
        let mut got = [mine, theirs];
        got.sort_unstable();
        assert_eq!(got, [3, 4]);
        assert_eq!(list.try_pop(), Err(PopError::Empty));
    });
}

/// A reservation on a block's last slot is cancelled while a pop runs; the value behind
/// it is in the next block. The pop sees `Pending` or that value, never the hole.
#[test]
fn loom_list_cancel_races_a_pop_across_a_block() {
    loom::model(|| {
        let list = Arc::new(List::new());
        list.try_push(0).unwrap();
        list.try_push(0).unwrap();
        let r = list.try_reserve().unwrap(); // the last slot of block 0
        list.try_push(7).unwrap(); // block 1
        assert_eq!(list.try_pop(), Ok(0));
        assert_eq!(list.try_pop(), Ok(0));
        let canceller = {
            let list = list.clone();
            thread::spawn(move || list.cancel(r))
        };
        match list.try_pop() {
            Ok(v) => assert_eq!(v, 7),
            Err(e) => {
                assert_eq!(e, PopError::Pending);
                canceller.join().unwrap();
                assert_eq!(list.try_pop(), Ok(7));
                return;
            }
        }
        canceller.join().unwrap();
        assert_eq!(list.try_pop(), Err(PopError::Empty));
    });
}

/// `close` races a push and a reservation on the list, at a block boundary.
#[test]
fn loom_list_close_races_a_reserve_and_a_push_across_a_block() {
    loom::model(|| {
        let list = Arc::new(List::new());
        list.try_push(0).unwrap();
        list.try_push(0).unwrap();
        let pusher = {
            let list = list.clone();
            thread::spawn(move || list.try_push(1).is_ok())
        };
        let reserver = {
            let list = list.clone();
            thread::spawn(move || match list.try_reserve() {
                Ok(r) => {
                    list.fill(r, 2);
                    true
                }
                Err(_) => false,
            })
        };
        list.close();
        let mut expected = vec![0, 0];
        if pusher.join().unwrap() {
            expected.push(1);
        }
        if reserver.join().unwrap() {
            expected.push(2);
        }
        let mut got = Vec::new();
        loop {
            match list.try_pop() {
                Ok(v) => got.push(v),
                Err(PopError::Closed) => break,
                Err(e) => panic!("{e:?} after every operation finished"),
            }
        }
        got.sort_unstable();
        assert_eq!(got, expected);
    });
}
