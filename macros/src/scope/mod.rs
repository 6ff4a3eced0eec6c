//! `scope!`: a block of concurrent children that cannot outlive it.
//!
//! [`parse`] reads the options and the `|s| { body }` closure and does every check;
//! [`expand`] builds the scope and runs the body.

mod expand;
mod parse;
#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;

/// Expands `($crate) [options,] |s| { body }`. On error, emits the errors and an
/// expression of type `!`, so that nothing cascades into the surrounding code.
pub(crate) fn scope(input: TokenStream) -> TokenStream {
    match parse::parse(input) {
        Ok(scope) => expand::expand(scope),
        Err(error) => crate::error::error_expression(error),
    }
}
