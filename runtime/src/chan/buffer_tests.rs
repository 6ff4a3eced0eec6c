//! What the ring's and the list's tests share: the MPMC consumers and the exactly-once,
//! in-order check.

use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;

use super::ring::PopError;

/// Starts `consumers` threads that pop from `buf` (after `start`) until
/// `producers.len() × per_producer` values came out, joins the producers and consumers,
/// and checks that every value `0..total` came out exactly once and that each consumer
/// saw each producer's values (`p × per_producer + i`) in the order they were sent.
pub(super) fn consume_and_check<B: Send + Sync + 'static>(
    buf: &Arc<B>,
    pop: fn(&B) -> Result<u64, PopError>,
    start: &Arc<Barrier>,
    producers: Vec<JoinHandle<()>>,
    per_producer: u64,
    consumers: usize,
) {
    let n_producers = producers.len() as u64;
    let received = Arc::new(StdAtomicUsize::new(0));
    let total = (n_producers * per_producer) as usize;
    let consumers: Vec<_> = (0..consumers)
        .map(|_| {
            let (buf, start, received) = (buf.clone(), start.clone(), received.clone());
            std::thread::spawn(move || {
                start.wait();
                let mut got = Vec::new();
                while received.load(StdOrdering::Relaxed) < total {
                    match pop(&buf) {
                        Ok(v) => {
                            got.push(v);
                            received.fetch_add(1, StdOrdering::Relaxed);
                        }
                        Err(PopError::Closed) => unreachable!("never closed"),
                        Err(PopError::Empty | PopError::Pending) => std::thread::yield_now(),
                    }
                }
                got
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    let mut all = Vec::with_capacity(total);
    for c in consumers {
        let got = c.join().unwrap();
        // One consumer sees each producer's values in the order they were sent.
        let mut last = vec![None::<u64>; n_producers as usize];
        for &v in &got {
            let p = (v / per_producer) as usize;
            assert!(
                last[p].is_none_or(|l| l < v),
                "out of order: {v} after {last:?}"
            );
            last[p] = Some(v);
        }
        all.extend(got);
    }
    assert_eq!(all.len(), total);
    let n = n_producers * per_producer;
    assert_eq!(all.iter().sum::<u64>(), n * (n - 1) / 2);
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), total, "a value came out twice or never");
}
