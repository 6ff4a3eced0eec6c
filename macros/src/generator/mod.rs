//! `#[generator]`, `iter!` and `stream!`: a body that yields becomes a lazy iterator or
//! stream.
//!
//! [`parse`] checks the fn and its return type; [`rewrite`] walks a body, turning each
//! yield into an await on the generator's yielder and rejecting yields where they cannot
//! work; [`expand`] wraps the body in `Generator::new` / `AsyncGenerator::new`.

mod expand;
mod parse;
mod rewrite;
#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;

/// Which block macro.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Block {
    /// `iter! { … }`: a `Generator`.
    Iter,
    /// `stream! { … }`: an `AsyncGenerator`.
    Stream,
}

/// Expands `#[generator] fn …`. On error, emits the fn's signature with a body of errors
/// (or, for something that is not a fn, the item unchanged and the errors), so that
/// nothing cascades and rust-analyzer keeps working on the user's fn.
pub(crate) fn generator(args: TokenStream, item: TokenStream) -> TokenStream {
    match parse::parse(args, item.clone()) {
        Ok(generator) => expand::expand_fn(generator),
        Err(error) => match syn::parse2::<syn::ItemFn>(item.clone()) {
            // A fn with a wrong signature: its signature, made valid enough not to cascade,
            // with a body of the errors.
            Ok(item) => {
                let mentions = rewrite::mention(&rewrite::our_macro_paths(&item.block));
                let signature = parse::quiet_signature(item.sig);
                let (attrs, vis) = (&item.attrs, &item.vis);
                let error = error.into_compile_error();
                quote::quote! {
                    #(#attrs)* #vis #signature { #error #mentions ::core::unreachable!() }
                }
            }
            Err(_) => {
                let mut tokens = item;
                tokens.extend(error.into_compile_error());
                tokens
            }
        },
    }
}

/// Expands `iter! { … }` or `stream! { … }` (after the `($crate)` the wrapper passes).
pub(crate) fn block(kind: Block, input: TokenStream) -> TokenStream {
    match expand::expand_block(kind, input) {
        Ok(tokens) => tokens,
        Err(error) => crate::error::error_expression(error),
    }
}
