//! The user macros, one file each: the docs, and for a function-like macro the
//! `macro_rules!` wrapper that hands `$crate` to its proc macro (so an expansion names the
//! runtime by a path that works however the user renamed the crate). `#[macro_export]`
//! puts each `macro_rules!` macro at the crate root; the two attributes are re-exported
//! from `goscope-macros` here, with their docs, and at the root from `lib.rs`.

pub(crate) mod generator;
pub(crate) mod go;
mod join;
mod scope;
mod select;
