//! Unit tests of the slot and the generators over it, small enough for Miri, which checks
//! the `unsafe` handover for undefined behaviour: `cargo +nightly miri test -p goscope --lib
//! generator::tests`.

use super::*;

#[test]
fn slot_hands_over_one_value_at_a_time() {
    let slot = Slot::new();
    assert_eq!(slot.take(), None::<String>);
    assert!(slot.put("a".to_owned()).is_ok());
    assert_eq!(
        slot.put("b".to_owned()),
        Err("b".to_owned()),
        "full: given back"
    );
    assert_eq!(slot.take().as_deref(), Some("a"));
    assert_eq!(slot.take(), None);
    // A value left in the slot is dropped with it.
    assert!(slot.put("c".to_owned()).is_ok());
}

#[test]
fn generators_yield_owned_values_in_order() {
    let words = Generator::new(|mut co| async move {
        for w in ["x", "y", "z"] {
            co.yield_(w.to_owned()).await;
        }
    });
    assert_eq!(words.collect::<Vec<_>>(), ["x", "y", "z"]);
    // Dropped with a value in flight and the body suspended.
    let mut g = Generator::new(|mut co| async move {
        let _keep = String::from("a local with a destructor");
        co.yield_(Box::new(1)).await;
        co.yield_(Box::new(2)).await;
    });
    assert_eq!(g.next().map(|b| *b), Some(1));
    assert!(!g.done());
    drop(g);
}

#[test]
fn a_yielder_sent_to_another_thread_hands_values_back() {
    let slot = Arc::new(Slot::new());
    let mut co = Co {
        slot: Arc::clone(&slot),
    };
    let writer = std::thread::spawn(move || {
        let mut cx = Context::from_waker(Waker::noop());
        for v in 0..3u64 {
            let mut yielded = co.yield_(v);
            loop {
                assert!(Pin::new(&mut yielded).poll(&mut cx).is_pending());
                if yielded.value.is_none() {
                    break;
                }
                std::thread::yield_now();
            }
        }
    });
    let mut got = Vec::new();
    while got.len() < 3 {
        match slot.take() {
            Some(v) => got.push(v),
            None => std::thread::yield_now(),
        }
    }
    writer.join().unwrap();
    assert_eq!(got, [0, 1, 2]);
}
