//! Small mechanisms the rest of the runtime shares.

// The lock-free buffers of the channel engine v2 (chan/ring.rs, chan/list.rs) use these.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod backoff;
pub(crate) mod block_on;
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod cache_padded;
pub(crate) mod rand;
pub(crate) mod timer;
