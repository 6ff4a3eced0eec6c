//! An unbounded channel's memory follows its backlog (SPEC, "Channels"): after a burst is
//! drained the buffer gives its memory back. Measured by a counting global allocator, on
//! one thread.

use goscope::chan;
use goscope_tests::live_bytes;

#[global_allocator]
static GLOBAL: goscope_tests::Counting = goscope_tests::Counting;

#[test]
fn an_unbounded_channel_gives_back_the_memory_of_a_drained_burst() {
    let (tx, rx) = chan::unbounded::<u64>();
    let empty = live_bytes();
    for round in 0..3u64 {
        for i in 0..1_000_000 {
            tx.try_send(round * 1_000_000 + i).unwrap();
        }
        let peak = live_bytes() - empty;
        assert!(peak >= 8_000_000, "a million u64s buffered in {peak} bytes");
        for i in 0..1_000_000 {
            assert_eq!(rx.try_recv(), Ok(round * 1_000_000 + i));
        }
        let kept = live_bytes() - empty;
        assert!(
            kept <= 1024,
            "round {round}: {kept} bytes kept after draining a burst that took {peak}"
        );
    }
}

#[test]
fn an_unbounded_channels_memory_stays_near_a_steady_backlog() {
    let (tx, rx) = chan::unbounded::<u64>();
    let empty = live_bytes();
    for i in 0..100_000 {
        tx.try_send(i).unwrap();
    }
    for i in 0..100_000 {
        assert_eq!(rx.try_recv(), Ok(i));
    }
    // A backlog of 1,000 values kept for a million operations: the buffer stays within a
    // small multiple of it (the doubling and halving leave it between 1/4 and full).
    for i in 0..1_000 {
        tx.try_send(i).unwrap();
    }
    let mut most = 0;
    for i in 1_000..1_000_000u64 {
        tx.try_send(i).unwrap();
        assert_eq!(rx.try_recv(), Ok(i - 1_000));
        most = most.max(live_bytes() - empty);
    }
    assert!(
        most <= 4 * 8 * 1_024 + 1024,
        "{most} bytes for a steady backlog of 1,000 u64s"
    );
}

#[test]
fn a_bounded_channel_keeps_its_buffer() {
    let (tx, rx) = chan::bounded::<u64>(64);
    let empty = live_bytes();
    for round in 0..10 {
        for i in 0..64 {
            tx.try_send(i + round).unwrap();
        }
        for i in 0..64 {
            assert_eq!(rx.try_recv(), Ok(i + round));
        }
    }
    assert_eq!(
        live_bytes() - empty,
        0,
        "a bounded channel's buffer is made once"
    );
}
