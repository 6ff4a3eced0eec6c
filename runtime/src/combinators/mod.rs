//! Combinators over futures and items: joining and racing (the runtime half of `all!` and
//! `race!`, and [`all`], [`try_all`], [`race`], [`race_ok`], [`settle`]), and the
//! bounded fan-outs ([`map`], [`try_map`], [`for_each`], [`try_for_each`],
//! [`go_for_each`], [`map_stream`], [`map_stream_unordered`]).

pub(crate) mod fan_out;
pub(crate) mod join;

pub use fan_out::{
    ForEachTask, for_each, go_for_each, map, map_stream, map_stream_unordered, try_for_each,
    try_map,
};
pub use join::{all, race, race_ok, settle, try_all};
