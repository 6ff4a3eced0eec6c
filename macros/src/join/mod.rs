//! `all!` and `race!`: join or race a fixed set of futures in the calling task.
//!
//! [`parse`] reads the options and the branches and does every check; [`expand`] builds
//! the `poll_fn` that polls the pinned branches.

mod expand;
mod parse;
#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;

pub(crate) use parse::Kind;

/// Expands `($crate) [options] branch, …` for `all!` or `race!`. On error, emits the
/// errors and an expression of type `!`, so that nothing cascades into the code around.
pub(crate) fn join(kind: Kind, input: TokenStream) -> TokenStream {
    match parse::parse(kind, input) {
        Ok(join) => expand::expand(join),
        Err(error) => crate::error::error_expression(error),
    }
}
