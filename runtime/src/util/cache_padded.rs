//! [`CachePadded`]: a value on a cache line of its own, so that two atomics written by
//! different threads (a queue's head and tail) do not make each other's line bounce
//! between cores ("false sharing").
//!
//! The alignment is the line size that prefetching makes effective: 128 bytes on x86-64
//! (the adjacent-line prefetcher pulls lines in pairs), aarch64 and powerpc64 (big-core
//! lines), 64 elsewhere. crossbeam-utils picks the same numbers; this is the crate's own
//! few lines rather than a dependency for them.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// `T`, aligned (and so padded) to a cache line.
#[cfg_attr(
    any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "powerpc64"
    ),
    repr(align(128))
)]
#[cfg_attr(
    not(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "powerpc64"
    )),
    repr(align(64))
)]
#[derive(Default)]
pub(crate) struct CachePadded<T>(T);

impl<T> CachePadded<T> {
    pub(crate) const fn new(value: T) -> Self {
        CachePadded(value)
    }
}

impl<T> Deref for CachePadded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for CachePadded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for CachePadded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::CachePadded;

    #[test]
    fn two_padded_values_never_share_a_line() {
        let pair = [CachePadded::new(1u8), CachePadded::new(2u8)];
        let a = &*pair[0] as *const u8 as usize;
        let b = &*pair[1] as *const u8 as usize;
        assert!(b - a >= 64);
        assert_eq!(*pair[1], 2);
    }
}
