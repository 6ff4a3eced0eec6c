//! Procedural macros for goscope.
//!
//! This crate is an implementation detail of goscope: depend on the `goscope` crate, which
//! re-exports every macro defined here and provides the runtime their expansions call.

mod error;
#[cfg(test)]
mod expansion_docs;
mod generator;
mod go;
mod join;
mod options;
mod scope;
mod select;

/// Makes a fn start a task each time it is called; see `goscope::go` for the documentation.
#[proc_macro_attribute]
pub fn go(args: proc_macro::TokenStream, item: proc_macro::TokenStream) -> proc_macro::TokenStream {
    go::go(args.into(), item.into()).into()
}

/// The engine of `select!` and `select_blocking!`; see `goscope::select!`.
#[doc(hidden)]
#[proc_macro]
pub fn select_impl(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    select::select(input.into()).into()
}

/// The engine of `scope!`; see `goscope::scope!`.
#[doc(hidden)]
#[proc_macro]
pub fn scope_impl(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    scope::scope(input.into()).into()
}

#[doc(hidden)]
#[proc_macro]
pub fn all_impl(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    join::all(input.into()).into()
}

#[doc(hidden)]
#[proc_macro]
pub fn race_impl(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    join::race(input.into()).into()
}

#[proc_macro_attribute]
pub fn generator(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    generator::generator(args.into(), item.into()).into()
}

#[doc(hidden)]
#[proc_macro]
pub fn iter_impl(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    generator::block(generator::Block::Iter, input.into()).into()
}

#[doc(hidden)]
#[proc_macro]
pub fn stream_impl(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    generator::block(generator::Block::Stream, input.into()).into()
}
