//! `#[generator]`, `iter!` and `stream!` output.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Lifetime, Stmt, Type};

use super::Block;
use super::parse::{GeneratorFn, Kind};
use super::rewrite::{Body, Rewriter};

// Input:  `#[generator] fn f(args) -> Generator<T> { body }`
// Output: `fn f(args) -> ::goscope::Generator<'lt, T> {
//              ::goscope::Generator::new(move |co: ::goscope::Co<T>| async move { body })
//          }`
//         with each `yield_!(v)` told the yielder's name. For an item type `Result<U, E>`,
//         the body runs in an inner block whose `Err` (from `?`) is yielded last.
/// On error, the fn's (rewritten) signature with a body of the errors: rust-analyzer still
/// sees the fn, and its callers do not cascade.
pub(crate) fn expand_fn(generator: GeneratorFn) -> TokenStream {
    let GeneratorFn {
        mut item,
        kind,
        lifetime,
        item_type,
    } = generator;
    let sync = kind == Kind::Sync;
    let mut rewriter = Rewriter::new(Body::Fn { sync });
    rewriter.visit_block_mut(&mut item.block);
    let co = rewriter.co().clone();

    // The generator borrows what its arguments borrow: a written lifetime is kept; an
    // elided one becomes `'_` if an argument borrows, else `'static`.
    let lifetime = lifetime.unwrap_or_else(|| {
        let borrows = item.sig.inputs.iter().any(|input| match input {
            syn::FnArg::Receiver(r) => match &r.kind {
                syn::ReceiverKind::Reference(..) => true,
                syn::ReceiverKind::Typed(_, ty) => has_borrow(ty),
                _ => false,
            },
            syn::FnArg::Typed(t) => has_borrow(&t.ty),
        }) || item.sig.generics.lifetimes().next().is_some();
        Lifetime::new(
            if borrows { "'_" } else { "'static" },
            item.sig.output.span(),
        )
    });
    let (generator_type, krate) = (
        if sync {
            quote!(Generator)
        } else {
            quote!(AsyncGenerator)
        },
        quote!(::goscope),
    );
    let output_span = item.sig.output.span();
    let ty = quote_spanned!(output_span=> #krate::#generator_type<#lifetime, #item_type>);
    item.sig.output = syn::parse2(quote!(-> #ty)).expect("a return type");
    item.sig.asyncness = None;
    let errors = std::mem::take(&mut rewriter.errors);
    let block = &item.block;
    let result = quote::format_ident!("__goscope_result", span = proc_macro2::Span::mixed_site());
    let error = quote::format_ident!("__goscope_error", span = proc_macro2::Span::mixed_site());
    let body = if is_result(&item_type) {
        quote! {
            let #result: ::core::result::Result<
                (),
                <#item_type as #krate::__private::generator::ResultItem>::Error,
            > = async {
                #[allow(unreachable_code)]
                {
                    #block;
                    ::core::result::Result::Ok(())
                }
            }
            .await;
            if let ::core::result::Result::Err(#error) = #result {
                #co.yield_(<#item_type as #krate::__private::generator::ResultItem>::from_error(#error)).await;
            }
        }
    } else {
        quote!(#block)
    };
    let new = quote! {
        #krate::#generator_type::new(move |#co: #krate::Co<#item_type>| async move { #body })
    };
    if let Err(error) = errors.finish(()) {
        let signature = &item.sig;
        let error = error.into_compile_error();
        return quote!(#signature { #error ::core::unreachable!() });
    }
    item.block = syn::parse2(quote!({ #new })).expect("a block");
    quote!(#item)
}

/// Whether a type mentions a reference or a lifetime.
fn has_borrow(ty: &Type) -> bool {
    struct Finder(bool);
    impl syn::visit::Visit<'_> for Finder {
        fn visit_type_reference(&mut self, _: &syn::TypeReference) {
            self.0 = true;
        }
        fn visit_lifetime(&mut self, _: &Lifetime) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_type(&mut finder, ty);
    finder.0
}

/// An item type whose last path segment is `Result`: `?` works in the body.
fn is_result(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none()
        && p.path.segments.last().is_some_and(|s| s.ident == "Result"))
}

// Input:  `($crate) stmts…` with bare `yield v;`
// Output: `$crate::Generator::new(move |co| async move { stmts… })` (or `AsyncGenerator`)
pub(crate) fn expand_block(kind: Block, input: TokenStream) -> syn::Result<TokenStream> {
    let (krate, mut stmts) = (|input: ParseStream<'_>| {
        let krate;
        syn::parenthesized!(krate in input);
        let krate: TokenStream = krate.parse()?;
        let stmts = syn::Block::parse_within(input)?;
        Ok((krate, stmts))
    })
    .parse2(input)?;
    let sync = kind == Block::Iter;
    let mut rewriter = Rewriter::new(Body::Block { sync });
    for stmt in &mut stmts {
        rewriter.visit_stmt_mut(stmt);
    }
    let co = rewriter.co().clone();
    std::mem::take(&mut rewriter.errors).finish(())?;
    let generator = if sync {
        quote!(Generator)
    } else {
        quote!(AsyncGenerator)
    };
    let stmts: Vec<&Stmt> = stmts.iter().collect();
    Ok(quote! {
        #krate::#generator::new(move |#co: #krate::Co<_>| async move { #(#stmts)* })
    })
}
