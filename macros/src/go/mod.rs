//! `#[go]`: makes a fn start a task each time it is called.
//!
//! [`parse`] reads the options and the item and does every check; [`expand`] turns the
//! checked fn into the wrapper that spawns its body.

mod expand;
mod parse;
#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;

/// Expands `#[go(args)] item`. On error, emits `item` unchanged followed by the errors, so
/// that nothing cascades and rust-analyzer keeps working on the user's fn.
pub(crate) fn go(args: TokenStream, item: TokenStream) -> TokenStream {
    match parse::parse(args, item.clone()) {
        Ok(go_fn) => expand::expand(go_fn),
        Err(error) => {
            let mut tokens = item;
            tokens.extend(error.into_compile_error());
            tokens
        }
    }
}
