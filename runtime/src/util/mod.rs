//! Small mechanisms the rest of the runtime shares.

pub(crate) mod block_on;
pub(crate) mod rand;
pub(crate) mod timer;
