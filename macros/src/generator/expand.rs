//! `#[generator]`, `iter!` and `stream!` output.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Lifetime, ReturnType, Stmt, Type};

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
    // elided one becomes the arguments' one lifetime (`'_` for elided borrows, the name
    // of a single named one), else `'static`. The user's own path to the type is kept,
    // so its import stays used.
    let lifetime = lifetime.unwrap_or_else(|| {
        let mut found = Borrows::default();
        for input in &item.sig.inputs {
            match input {
                syn::FnArg::Receiver(r) => match &r.kind {
                    syn::ReceiverKind::Reference(_, lifetime, _) => {
                        found.reference(lifetime.as_ref())
                    }
                    syn::ReceiverKind::Typed(_, ty) => {
                        syn::visit::Visit::visit_type(&mut found, ty)
                    }
                    _ => {}
                },
                syn::FnArg::Typed(t) => syn::visit::Visit::visit_type(&mut found, &t.ty),
            }
        }
        let name = match (found.elided, found.named.as_slice()) {
            (false, []) => "'static".to_owned(),
            (false, [one]) => one.clone(),
            _ => "'_".to_owned(),
        };
        Lifetime::new(&name, item.sig.output.span())
    });
    let generator_type = if sync {
        quote!(Generator)
    } else {
        quote!(AsyncGenerator)
    };
    let krate = quote!(::goscope);
    if let ReturnType::Type(_, ty) = &mut item.sig.output
        && let Type::Path(path) = &mut **ty
        && let Some(last) = path.path.segments.last_mut()
    {
        last.arguments = super::parse::generator_arguments(lifetime, item_type.clone());
    }
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
        #krate::#generator_type::new(move |mut #co: #krate::Co<#item_type>| async move { #body })
    };
    let body = match errors.finish(()) {
        Ok(()) => new,
        Err(error) => {
            // The body's `yield_!` paths, mentioned again, keep the user's import used.
            let mentions = super::rewrite::mention(&super::rewrite::our_macro_paths(&item.block));
            let error = error.into_compile_error();
            quote!(#error #mentions ::core::unreachable!())
        }
    };
    let (attrs, vis, signature) = (&item.attrs, &item.vis, &item.sig);
    quote!(#(#attrs)* #vis #signature { #body })
}

/// The lifetimes a fn's arguments borrow with: elided ones (`&T`, `'_`) and named ones
/// other than `'static`.
#[derive(Default)]
struct Borrows {
    elided: bool,
    named: Vec<String>,
}

impl Borrows {
    fn reference(&mut self, lifetime: Option<&Lifetime>) {
        match lifetime {
            None => self.elided = true,
            Some(l) => self.lifetime(l),
        }
    }

    fn lifetime(&mut self, lifetime: &Lifetime) {
        match lifetime.ident.to_string().as_str() {
            "static" => {}
            "_" => self.elided = true,
            _ => {
                let name = lifetime.to_string();
                if !self.named.contains(&name) {
                    self.named.push(name);
                }
            }
        }
    }
}

impl syn::visit::Visit<'_> for Borrows {
    fn visit_type_reference(&mut self, r: &syn::TypeReference) {
        self.reference(r.lifetime.as_ref());
        syn::visit::visit_type(self, &r.elem);
    }
    fn visit_lifetime(&mut self, lifetime: &Lifetime) {
        self.lifetime(lifetime);
    }
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
        #krate::#generator::new(move |mut #co: #krate::Co<_>| async move { #(#stmts)* })
    })
}
