//! Small mechanisms the rest of the runtime shares.

pub(crate) mod block_on;
