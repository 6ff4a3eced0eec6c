//! `all!` and `race!` output. Infallible: `parse` has done every check.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;

use super::parse::{All, Join, Race};

pub(crate) fn expand(join: Join) -> TokenStream {
    match join {
        Join::All(all) => expand_all(all),
        Join::Race(race) => expand_race(race),
    }
}

/// The branches' pinned locals, named with mixed-site hygiene: the user's code cannot see
/// or clash with them.
fn local(name: &str, index: usize) -> proc_macro2::Ident {
    format_ident!("__{}{}", name, index, span = Span::mixed_site())
}

/// Every arm once, from arm `start` round: straight-line code (no `match` on an index),
/// `skip` counting down to the first arm to run and `left` the arms still to run.
fn rotate(n: usize, start: &TokenStream, arms: &[TokenStream]) -> TokenStream {
    if n == 1 {
        let arm = &arms[0];
        return quote!(#arm);
    }
    let skip = format_ident!("__skip_arms", span = Span::mixed_site());
    let left = format_ident!("__left", span = Span::mixed_site());
    quote! {
        let mut #skip: usize = #start;
        let mut #left: usize = #n;
        loop {
            #(
                if #skip == 0 {
                    if #left == 0 {
                        break;
                    }
                    #left -= 1;
                    #arms
                } else {
                    #skip -= 1;
                }
            )*
        }
    }
}

// Input:  `all!(a, b?)`
// Output: `{ let b0 = pin!(Branch::new(a)); let b1 = pin!(Branch::new(b));
//            enum Exit<E1> { Done, B1(E1) }
//            match poll_fn(|cx| { …poll each from a rotating start… }).await {
//                Exit::Done => (b0.take(), b1.take_ok()),
//                Exit::B1(e) => match Err::<Infallible, _>(e)? {},
//            } }`
fn expand_all(all: All) -> TokenStream {
    let All { krate, branches } = all;
    let private = quote!(#krate::__private::join);
    let n = branches.len();
    let cx = format_ident!("__cx", span = Span::mixed_site());
    let pending = format_ident!("__pending", span = Span::mixed_site());
    let skip = format_ident!("__skip", span = Span::mixed_site());
    let start = format_ident!("__start", span = Span::mixed_site());
    let exit = format_ident!("__Exit", span = Span::mixed_site());
    let done = format_ident!("__Done", span = Span::mixed_site());
    let error = format_ident!("__error", span = Span::mixed_site());

    // The branches are the pinned fields of one struct (`pin_project!` gives safe
    // projections): the poll reaches each through one pointer, as `tokio::join!` does.
    let holder = format_ident!("__Branches", span = Span::mixed_site());
    let branches_local = format_ident!("__branches", span = Span::mixed_site());
    let projected = format_ident!("__p", span = Span::mixed_site());
    let mut fields = Vec::new();
    let mut field_types = Vec::new();
    let mut inits = Vec::new();
    let mut arms = Vec::new();
    let mut outputs = Vec::new();
    let mut exit_generics = Vec::new();
    let mut exit_variants = Vec::new();
    let mut exit_arms = Vec::new();
    for (index, branch) in branches.iter().enumerate() {
        let field = local("b", index);
        let field_type = local("B", index);
        let fut = &branch.fut;
        let span = branch.span();
        inits.push(quote_spanned! {span=>
            #field: #private::Branch::new(::core::future::IntoFuture::into_future(#fut))
        });
        fields.push(field.clone());
        field_types.push(field_type);
        let name = quote!(#projected.#field);
        match &branch.question {
            None => {
                arms.push(quote! {
                    if !#name.as_mut().poll_done(#cx) {
                        #pending = true;
                    }
                });
                outputs.push(quote!(#name.as_mut().take()));
            }
            Some(question) => {
                let generic = format_ident!("E{}", index, span = Span::mixed_site());
                let variant = format_ident!("B{}", index, span = Span::mixed_site());
                arms.push(quote! {
                    match #name.as_mut().poll_try(#cx) {
                        ::core::task::Poll::Ready(::core::option::Option::Some(#error)) => {
                            return ::core::task::Poll::Ready(#exit::#variant(#error));
                        }
                        ::core::task::Poll::Ready(::core::option::Option::None) => {}
                        ::core::task::Poll::Pending => #pending = true,
                    }
                });
                outputs.push(quote!(#name.as_mut().take_ok()));
                // The `?` is the user's: errors about it ("cannot use `?` in a function that
                // returns …", a missing `From`) point at it.
                exit_arms.push(quote_spanned! {question.span=>
                    #exit::#variant(#error) => match ::core::result::Result::<
                        ::core::convert::Infallible, _,
                    >::Err(#error)? {},
                });
                exit_variants.push(quote!(#variant(#generic)));
                exit_generics.push(generic);
            }
        }
    }
    let rotate = rotate(n, &quote!(#start), &arms);
    let advance = (n > 1).then(|| {
        quote! {
            let #start = #skip;
            #skip = if #skip + 1 == #n { 0 } else { #skip + 1 };
        }
    });
    let skip_decl = (n > 1).then(|| quote!(let mut #skip: usize = 0;));
    let poll = quote! {
        ::core::future::poll_fn(|#cx: &mut ::core::task::Context<'_>| {
            #advance
            let mut #pending = false;
            let mut #projected = #branches_local.as_mut().project();
            #rotate
            if #pending {
                ::core::task::Poll::Pending
            } else {
                ::core::task::Poll::Ready(#exit::#done)
            }
        }).await
    };
    quote! {
        {
            #private::pin_project! {
                struct #holder<#(#field_types),*> {
                    #(#[pin] #fields: #field_types,)*
                }
            }
            let mut #branches_local = ::core::pin::pin!(#holder { #(#inits,)* });
            #skip_decl
            enum #exit<#(#exit_generics),*> {
                #done,
                #(#exit_variants,)*
            }
            match #poll {
                #exit::#done => {
                    let mut #projected = #branches_local.as_mut().project();
                    (#(#outputs,)*)
                }
                #(#exit_arms)*
            }
        }
    }
}

// Input:  `race!(ok: timeout = d, a, b)`
// Output: `{ let b0 = pin!(Some(a)); let b1 = pin!(Some(b)); let d = d; let timer = …;
//            let last = None;
//            poll_fn(|cx| { …poll each from a random start: an Ok wins, an Err drops its
//                           branch; all dropped: Err(last); timer: Err(TimedOut(d))… }).await }`
fn expand_race(race: Race) -> TokenStream {
    let Race {
        krate,
        biased,
        ok,
        timeout,
        branches,
    } = race;
    let private = quote!(#krate::__private::join);
    let n = branches.len();
    let cx = format_ident!("__cx", span = Span::mixed_site());
    let value = format_ident!("__value", span = Span::mixed_site());
    let last = format_ident!("__last", span = Span::mixed_site());
    let duration = format_ident!("__duration", span = Span::mixed_site());
    let timer = format_ident!("__timer", span = Span::mixed_site());
    let start = format_ident!("__start", span = Span::mixed_site());

    // What a winning output becomes: `Ok(_)` under a timeout.
    let wrap = |output: TokenStream| match timeout {
        Some(_) => quote!(::core::result::Result::Ok(#output)),
        None => output,
    };
    let mut lets = Vec::new();
    let mut arms = Vec::new();
    let mut names = Vec::new();
    for (index, fut) in branches.iter().enumerate() {
        let name = local("branch", index);
        let span = fut.span();
        if ok {
            lets.push(quote_spanned! {span=>
                let mut #name = ::core::pin::pin!(::core::option::Option::Some(
                    ::core::future::IntoFuture::into_future(#fut)
                ));
            });
            let won = wrap(quote!(::core::result::Result::Ok(#value)));
            // Spanned at the branch: "expected `Result`" points at a branch that is not one.
            let outcome = quote_spanned! {span=>
                match #value {
                    ::core::result::Result::Ok(#value) => {
                        return ::core::task::Poll::Ready(#won);
                    }
                    ::core::result::Result::Err(#value) => {
                        #last = ::core::option::Option::Some(#value);
                        #name.set(::core::option::Option::None);
                    }
                }
            };
            // (No `let` chains: the expansion must compile in every edition.)
            arms.push(quote! {
                if let ::core::option::Option::Some(#value) = #name.as_mut().as_pin_mut() {
                    if let ::core::task::Poll::Ready(#value) =
                        ::core::future::Future::poll(#value, #cx)
                    {
                        #outcome
                    }
                }
            });
        } else {
            lets.push(quote_spanned! {span=>
                let mut #name = ::core::pin::pin!(::core::future::IntoFuture::into_future(#fut));
            });
            // Located at the branch (with the macro's hygiene): a branch whose output type
            // differs from the others' is where "mismatched types" points.
            let output = format_ident!("__value", span = Span::mixed_site().located_at(span));
            let won = wrap(quote!(#output));
            let ready = quote_spanned!(span=> return ::core::task::Poll::Ready(#won););
            arms.push(quote! {
                if let ::core::task::Poll::Ready(#output) =
                    ::core::future::Future::poll(#name.as_mut(), #cx)
                {
                    #ready
                }
            });
        }
        names.push(name);
    }
    let start_value = if biased || n == 1 {
        quote!(0usize)
    } else {
        quote!(#private::start(#n))
    };
    let rotate = rotate(n, &quote!(#start), &arms);
    let all_failed = ok.then(|| {
        let failed = wrap(quote! {
            ::core::result::Result::Err(match #last.take() {
                ::core::option::Option::Some(#value) => #value,
                ::core::option::Option::None => ::core::unreachable!("a branch that ended without `Ok` left its `Err`"),
            })
        });
        quote! {
            if #(#names.is_none())&&* {
                return ::core::task::Poll::Ready(#failed);
            }
        }
    });
    let last_decl = ok.then(|| quote!(let mut #last = ::core::option::Option::None;));
    let (timer_decl, timer_poll) = match &timeout {
        Some(d) => (
            Some(quote_spanned! {d.span()=>
                let #duration: ::core::time::Duration = #d;
                let mut #timer = ::core::pin::pin!(#private::timer(#duration));
            }),
            Some(quote! {
                if ::core::future::Future::poll(#timer.as_mut(), #cx).is_ready() {
                    return ::core::task::Poll::Ready(::core::result::Result::Err(
                        #private::Error::TimedOut(#duration),
                    ));
                }
            }),
        ),
        None => (None, None),
    };
    quote! {
        {
            #(#lets)*
            #timer_decl
            #last_decl
            ::core::future::poll_fn(|#cx: &mut ::core::task::Context<'_>| {
                let #start: usize = #start_value;
                #rotate
                #all_failed
                #timer_poll
                ::core::task::Poll::Pending
            }).await
        }
    }
}
