//! `select!` and `select_blocking!`: wait for the first of several channel operations and
//! futures, Go's `select`, over the runtime's select engine.
//!
//! [`parse`] reads the cases and does every check; [`expand`] builds the cases on the
//! stack, runs the engine, and matches its output to run the chosen body in the caller's
//! code.

mod expand;
mod parse;
#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;

/// Expands `($crate) async|blocking …`. On error, emits the errors and an expression of
/// type `!`, so that nothing cascades into the surrounding code.
pub(crate) fn select(input: TokenStream) -> TokenStream {
    match parse::parse(input) {
        Ok(select) => expand::expand(select),
        Err(error) => crate::error::error_expression(error),
    }
}
