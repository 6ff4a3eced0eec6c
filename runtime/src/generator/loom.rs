//! Loom model of the slot's handover (run by `.ci/run`: `RUSTFLAGS="--cfg goscope_loom"
//! cargo test -p goscope --lib --release loom`).

use super::*;

/// A body that sent its `Co` to another thread yields two values while the generator
/// takes them: loom checks every interleaving for a race on the value, and that both
/// arrive, in order.
#[test]
fn slot_hands_values_across_threads() {
    ::loom::model(|| {
        let slot = Arc::new(Slot::new());
        let mut co = Co {
            slot: Arc::clone(&slot),
        };
        let writer = ::loom::thread::spawn(move || {
            let mut cx = Context::from_waker(Waker::noop());
            for v in 0..2u32 {
                let mut yielded = co.yield_(v);
                // Pending until the value is stored (it waits while the slot is full).
                loop {
                    assert!(Pin::new(&mut yielded).poll(&mut cx).is_pending());
                    if yielded.value.is_none() {
                        break;
                    }
                    ::loom::thread::yield_now();
                }
            }
        });
        let mut got = Vec::new();
        while got.len() < 2 {
            match slot.take() {
                Some(v) => got.push(v),
                None => ::loom::thread::yield_now(),
            }
        }
        writer.join().unwrap();
        assert_eq!(got, [0, 1]);
    });
}
