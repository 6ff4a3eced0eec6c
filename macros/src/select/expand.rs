//! `select!` output. Infallible: `parse` has done every check.
//!
//! The shape (async, two cases, no `default`):
//!
//! ```text
//! {
//!     enum __GoscopeSelectOut<__T0, __T1> { __0(__T0), __1(__T1), }
//!     let __out = {
//!         let __c0 = pin!(if guard { Some(recv(&rx, |v| match v { pat => Some(Out::__0(bindings)), _ => None })) } else { None });
//!         let __f1 = pin!(if guard { Some(IntoFuture::into_future(fut)) } else { None });
//!         let __c1 = pin!(__f1.as_pin_mut().map(|f| future(f, |v| …)));
//!         let mut __order = [0usize; 2];
//!         // The cases stay pinned on the stack (a channel case holds the waiter the
//!         // channel links to); the future borrows them.
//!         SelectMacroFuture::new((__c0.as_mut(), (__c1.as_mut(), ())), &mut __order, biased).await
//!     }; // every case, and every future, is dropped here, before a body runs
//!     match __out { Out::__0(bindings) => body0, Out::__1(bindings) => body1, }
//! }
//! ```
//! Bodies run in the caller's code, so `break`, `continue`, `return` and `?` act there.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident};

use super::parse::{Binding, Case, Mode, Op, Select, bindings};

// Input:  a checked `select! { [biased;] cases [default => body] }`
// Output: the block above; with `default`, `try_select(…)` instead of `.await`; in
//         `select_blocking!`, `blocking(…)`.
pub(crate) fn expand(select: Select) -> TokenStream {
    let Select {
        krate,
        mode,
        biased,
        cases,
        default,
    } = select;
    let private = quote!(#krate::__private::select);
    if let [case] = cases.as_slice()
        && let (Op::Recv { chan }, None) = (&case.op, &case.guard)
    {
        return single_recv(&private, mode, case, chan, default.as_ref());
    }
    let out_enum = Ident::new("__GoscopeSelectOut", Span::mixed_site());
    let out_var = Ident::new("__goscope_out", Span::mixed_site());
    let n = cases.len();

    let params: Vec<Ident> = (0..n).map(|k| format_ident!("__T{}", k)).collect();
    let variants: Vec<Ident> = (0..n).map(|k| format_ident!("__{}", k)).collect();
    let default_variant = format_ident!("__Default");

    let mut lets = TokenStream::new();
    let mut names = Vec::new();
    for (k, case) in cases.iter().enumerate() {
        let name = Ident::new(&format!("__goscope_c{k}"), Span::mixed_site());
        lets.extend(case_let(&private, &out_enum, &variants[k], &name, case));
        names.push(name);
    }
    let list = names
        .iter()
        .rev()
        .fold(quote!(()), |rest, name| quote!((#name.as_mut(), #rest)));
    let order = Ident::new("__goscope_order", Span::mixed_site());

    let wait = match (&default, mode) {
        (Some(_), _) => quote! {
            match #private::try_select(#list, &mut #order, #biased) {
                ::core::option::Option::Some(out) => out,
                ::core::option::Option::None => #out_enum::#default_variant,
            }
        },
        (None, Mode::Async) => quote! {
            #private::SelectMacroFuture::new(#list, &mut #order, #biased).await
        },
        (None, Mode::Blocking) => quote! {
            #private::blocking(#list, &mut #order, #biased)
        },
    };

    let arms = cases.iter().zip(&variants).map(|(case, variant)| {
        let pattern = body_pattern(case);
        let body = &case.body;
        quote!(#out_enum::#variant(#pattern) => #body,)
    });
    let default_arm = default
        .as_ref()
        .map(|body| quote!(#out_enum::#default_variant => #body,));
    let default_decl = default.as_ref().map(|_| quote!(#default_variant,));

    quote! {
        {
            #[allow(non_camel_case_types, dead_code, clippy::enum_variant_names)]
            enum #out_enum<#(#params,)*> {
                #(#variants(#params),)*
                #default_decl
            }
            let #out_var = {
                #lets
                let mut #order = [0usize; #n];
                #wait
            };
            match #out_var {
                #(#arms)*
                #default_arm
            }
        }
    }
}

// Input:  case `k`, e.g. `Some(v) = recv(rx), if ready`
// Output: `let __c<k> = pin!(if ready { Some(recv(&rx, handler)) } else { None });` (futures
//         are pinned on the stack first)
fn case_let(
    private: &TokenStream,
    out_enum: &Ident,
    variant: &Ident,
    name: &Ident,
    case: &Case,
) -> TokenStream {
    let handler = handler(out_enum, variant, case);
    let guarded = |tokens: TokenStream| match &case.guard {
        Some(guard) => quote! {
            if #guard { ::core::option::Option::Some(#tokens) } else { ::core::option::Option::None }
        },
        None => quote!(::core::option::Option::Some(#tokens)),
    };
    match &case.op {
        Op::Recv { chan } => {
            let chan = borrowed(chan);
            let make = guarded(quote!(#private::recv(#chan, #handler)));
            quote!(let mut #name = ::core::pin::pin!(#make);)
        }
        Op::Send { chan, value } => {
            let chan = borrowed(chan);
            let value = quote_spanned!(value.span()=> || #value);
            let make = guarded(quote!(#private::send(#chan, #value, #handler)));
            quote!(let mut #name = ::core::pin::pin!(#make);)
        }
        Op::After { keyword, duration } => {
            let fut = quote_spanned!(keyword.span()=> #private::after(#duration));
            pinned_future(private, name, guarded(fut), handler)
        }
        Op::Future(fut) => {
            let fut = quote_spanned!(fut.span()=> ::core::future::IntoFuture::into_future(#fut));
            pinned_future(private, name, guarded(fut), handler)
        }
    }
}

// Input:  `Some(fut)` or the guarded form
// Output: the future pinned on the stack, and the case over it
fn pinned_future(
    private: &TokenStream,
    name: &Ident,
    make: TokenStream,
    handler: TokenStream,
) -> TokenStream {
    let pinned = Ident::new(&format!("{name}_fut"), Span::mixed_site());
    quote! {
        let #pinned = ::core::pin::pin!(#make);
        let mut #name = ::core::pin::pin!(::core::option::Option::map(
            ::core::option::Option::as_pin_mut(#pinned),
            |fut| #private::future(fut, #handler),
        ));
    }
}

// Input:  a channel expression: a place (`rx`, `self.jobs`), or a reference (`&rx`, `f()`)
// Output: a place is borrowed, `&(rx)`; anything else is passed as it is, since borrowing
//         a temporary would not outlive the `let` that stores the case. Spanned on the
//         user's expression so that a type error lands there.
fn borrowed(chan: &Expr) -> TokenStream {
    if is_place(chan) {
        quote_spanned!(chan.span()=> &(#chan))
    } else {
        quote_spanned!(chan.span()=> #chan)
    }
}

fn is_place(expr: &Expr) -> bool {
    match expr {
        Expr::Path(_) | Expr::Field(_) | Expr::Index(_) => true,
        Expr::Unary(unary) => matches!(unary.op, syn::UnOp::Deref(_)),
        Expr::Paren(paren) => is_place(&paren.expr),
        Expr::Group(group) => is_place(&group.expr),
        _ => false,
    }
}

// Input:  case `k` with pattern `Some(mut v)` (or none)
// Output: `|value| match value { Some(mut v) => Some(Out::__k((v,))), _ => None }`
fn handler(out_enum: &Ident, variant: &Ident, case: &Case) -> TokenStream {
    let value = Ident::new("__goscope_value", Span::mixed_site());
    match &case.pat {
        None => quote!(|_| ::core::option::Option::Some(#out_enum::#variant(()))),
        Some(pat) => {
            let names = bindings(pat).into_iter().map(|Binding { ident, .. }| ident);
            let out = Ident::new("__goscope_case_out", Span::mixed_site());
            quote! {
                |#value| {
                    #[allow(unused_mut, unreachable_patterns, clippy::match_single_binding)]
                    let #out = match #value {
                        #pat => ::core::option::Option::Some(#out_enum::#variant((#(#names,)*))),
                        _ => ::core::option::Option::None,
                    };
                    #out
                }
            }
        }
    }
}

// Input:  case pattern `Some(mut v)` (or none)
// Output: `(mut v,)`, the bindings as the body sees them
fn body_pattern(case: &Case) -> TokenStream {
    match &case.pat {
        None => quote!(()),
        Some(pat) => {
            let bindings = bindings(pat)
                .into_iter()
                .map(|Binding { ident, mutability }| quote!(#mutability #ident));
            quote!((#(#bindings,)*))
        }
    }
}

// Input:  a `select!` whose only case is an unguarded `pat = recv(rx) => body` (and maybe
//         `default => fallback`)
// Output: the receive itself, as crossbeam's `select!` does for one operation: the same
//         semantics (a receive future is cancel-safe; a refused pattern leaves no case),
//         without the engine:
//         `match rx.recv().await { pat => body, _ => all_disabled() }`, or with `default`
//         `match try_recv(rx) { Some(v) => match v { pat => body, _ => fallback }, None => fallback }`
fn single_recv(
    private: &TokenStream,
    mode: Mode,
    case: &Case,
    chan: &Expr,
    default: Option<&Expr>,
) -> TokenStream {
    let chan = borrowed(chan);
    let value = Ident::new("__goscope_value", Span::mixed_site());
    let body = &case.body;
    let matched = |refused: TokenStream| match &case.pat {
        Some(pat) => quote! {
            match #value {
                #pat => #body,
                #[allow(unreachable_patterns)]
                _ => #refused,
            }
        },
        None => quote!({ let _ = #value; #body }),
    };
    match default {
        Some(fallback) => {
            let matched = matched(quote!(#fallback));
            quote! {
                match #private::try_recv_now(#chan) {
                    ::core::option::Option::Some(#value) => #matched,
                    ::core::option::Option::None => #fallback,
                }
            }
        }
        None => {
            let recv = match mode {
                Mode::Async => quote!(#private::recv_now(#chan).await),
                Mode::Blocking => quote!(#private::recv_blocking_now(#chan)),
            };
            let matched = matched(quote!(#private::all_disabled()));
            quote! {
                {
                    let #value = #recv;
                    #matched
                }
            }
        }
    }
}
