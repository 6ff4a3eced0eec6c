//! Combinators over futures and items: joining and racing (the runtime half of `all!` and
//! `race!`, and [`all`], [`try_all`], [`race`], [`race_ok`], [`settle`]), and the
//! bounded fan-outs ([`map`], [`try_map`], [`for_each`], [`try_for_each`],
//! [`go_for_each`], [`map_stream`], [`map_stream_unordered`]).
//!
//! Each mechanism is written once: the set of futures the joins and races poll
//! (`set.rs`), the race rule (`race::start`), the panic capture (`settle::Settled`, over
//! `crate::panic::catch`), the re-ordering of outputs that finish out of order
//! (`in_order.rs`), and the fan-out engine whose workers take items from a shared feed
//! (`fan_out/`).

pub(crate) mod fan_out;
mod in_order;
pub(crate) mod join;
pub(crate) mod race;
mod set;
pub(crate) mod settle;

pub use fan_out::{
    ForEach, ForEachTask, Map, TryForEach, TryMap, for_each, go_for_each, map, map_stream,
    map_stream_unordered, try_for_each, try_map,
};
pub use join::{All, TryAll, all, try_all};
pub use race::{Race, RaceOk, race, race_ok};
pub use settle::{Settle, settle};
