//! The per-thread random numbers behind every random choice the runtime makes: which ready
//! case a `select!` takes, where `race!`, [`race`](crate::race) and
//! [`race_ok`](crate::race_ok) start polling, and a retry's jitter.
//!
//! One xorshift64* generator per thread, seeded from the thread's stack address and the
//! time, so that two threads (and two runs) draw different sequences;
//! [`select::seed`](crate::select::seed) reseeds the current thread's generator, so that a
//! test replays the same choices. Not for cryptography: a cheap, uniform-enough draw on a
//! hot path (a cell read, three shifts, a multiply).

use std::cell::Cell;

std::thread_local! {
    static RNG: Cell<u64> = Cell::new(initial_seed());
}

fn initial_seed() -> u64 {
    // Distinct per thread and per process run; quality comes from the mixing below.
    let local = 0u8;
    let addr = &local as *const u8 as u64;
    let time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    splitmix(addr ^ time.rotate_left(32)) | 1
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Makes every later draw on this thread reproducible: the same seed, the same sequence.
pub(crate) fn seed(seed: u64) {
    RNG.with(|rng| rng.set(splitmix(seed) | 1));
}

/// A uniform number in `0..n` (n ≥ 1), from this thread's generator.
pub(crate) fn below(n: usize) -> usize {
    RNG.with(|rng| {
        let mut x = rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        rng.set(x);
        let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        // Lemire's multiply-shift: unbiased enough for n ≪ 2^32.
        ((u128::from(r >> 32) * n as u128) >> 32) as usize
    })
}

#[cfg(test)]
mod tests {
    use super::{below, seed};

    #[test]
    fn a_seed_replays_its_sequence_and_every_value_is_in_range() {
        seed(9);
        let first: Vec<usize> = (0..64).map(|_| below(5)).collect();
        seed(9);
        let again: Vec<usize> = (0..64).map(|_| below(5)).collect();
        assert_eq!(first, again);
        assert!(first.iter().all(|&k| k < 5));
        assert!(
            (0..5).all(|k| first.contains(&k)),
            "every value drawn: {first:?}"
        );
        assert!((0..100).all(|_| below(1) == 0));
    }
}
