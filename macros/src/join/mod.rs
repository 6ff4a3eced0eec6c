//! `all!` and `race!`: join or race a fixed set of futures in the calling task.
//!
//! [`parse`] reads the options and the branches and does every check; [`expand`] builds
//! the `poll_fn` that polls the pinned branches.

mod expand;
mod parse;
#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;

/// Expands `($crate) branch[?], …` for `all!`.
pub(crate) fn all(input: TokenStream) -> TokenStream {
    join(parse::all(input))
}

/// Expands `($crate) [biased;] [ok:] [timeout = d,] branch, …` for `race!`.
pub(crate) fn race(input: TokenStream) -> TokenStream {
    join(parse::race(input))
}

/// The expansion of a parsed `all!` or `race!`; on error, the errors and an expression of
/// type `!`, so that nothing cascades into the code around.
fn join(parsed: syn::Result<parse::Join>) -> TokenStream {
    match parsed {
        Ok(join) => expand::expand(join),
        Err(error) => crate::error::error_expression(error),
    }
}
