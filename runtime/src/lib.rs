// The crate docs are the README: `runtime/README.md` is a link to the root one, so that
// one text serves GitHub, crates.io and docs.rs, and `cargo package` ships it.
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![deny(missing_debug_implementations)]
pub mod chan;
pub mod manager;
pub mod select;

mod combinators;
mod error;
mod generator;
mod loom;
mod macros;
mod panic;
mod scope;
mod sync;
mod task;
mod time;
mod util;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use combinators::{
    All, ForEach, ForEachTask, Map, Race, RaceOk, Settle, TryAll, TryForEach, TryMap, all,
    for_each, go_for_each, map, map_stream, map_stream_unordered, race, race_ok, settle, try_all,
    try_for_each, try_map,
};
pub use error::Error;
pub use generator::{AsyncGenerator, Co, Generator, Yield};
pub use macros::{generator::generator, go::go};
pub use panic::{PanicError, PanicLocation, PanicPayload, clear_panic_hook, set_panic_hook};
pub use scope::{Scope, ScopedTask, cancelled};
pub use sync::{
    Jitter, Limiter, LimiterPermit, Pool, PoolTask, RateLimiter, Retry, RetryFn, TrySubmitError,
    WaitGroup, WithAttempt, WithoutAttempt, retry,
};
pub use task::{Task, TaskTimeout, go, go_blocking, go_ctx, go_with_recover};
pub use time::{After, Timeout, after, timeout};
pub use tokio_util::sync::CancellationToken;
