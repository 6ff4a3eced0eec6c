//! `scope!` output. Infallible: `parse` has done every check.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::parse::Scope;

// Input:  `scope!(timeout = d, limit = n, supervise, |s| { body })`
// Output: `{ let s = supervise(limit(timeout(new(), d), n));
//            run(&s, async { body }).await }`
//         With `|s: Ty|`, after the `let`: `typed::<Ty, _>(&s);`, which makes `s` a `Ty`
//         (and so names the error type) while `s` stays a `Scope` whatever `Ty` is: a `Ty`
//         that is not one is a single error, on `Ty`, not one more at each use of `s`.
//         The body is a plain async block beside the handle, in the caller's frame: it
//         borrows `s` and the environment (no closure, so no higher-ranked lifetimes),
//         and `?` in it returns from the body.
pub(crate) fn expand(scope: Scope) -> TokenStream {
    let Scope {
        krate,
        timeout,
        limit,
        supervise,
        handle,
        ty,
        body,
    } = scope;
    let private = quote!(#krate::__private::scope);
    // Each option wraps the new scope in a call, spanned on its value.
    let mut new = quote!(#private::new());
    if let Some(d) = timeout {
        new = quote_spanned!(d.span()=> #private::timeout(#new, #d));
    }
    if let Some(n) = limit {
        new = quote_spanned!(n.span()=> #private::limit(#new, #n));
    }
    if supervise {
        new = quote!(#private::supervise(#new));
    }
    // `|s: Ty|`: `typed::<Ty, _>(&s)` makes the handle's type `Ty`, spanned on `Ty` so
    // that an error about it points there.
    let typed = ty.map(|ty| {
        let mut handle_at_ty = handle.clone();
        handle_at_ty.set_span(ty.span());
        quote_spanned!(ty.span()=> #private::typed::<#ty, _>(&#handle_at_ty);)
    });
    // Errors about the body's type (say, an error type without `From<goscope::Error>`)
    // point at the body.
    // The handle is named again with the body's span (same name, same hygiene: both are
    // the caller's), so that every part of the call carries it.
    let mut handle_at_body = handle.clone();
    handle_at_body.set_span(body.span());
    let run = quote_spanned!(body.span()=> #private::run(&#handle_at_body, async #body).await);
    quote_spanned! {body.span()=>
        {
            let #handle = #new;
            #typed
            #run
        }
    }
}
