//! `#[go]` output: the wrapper fn that spawns the body. Infallible: `parse` has done every
//! check.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{FnArg, Ident, LitStr, Pat, PatIdent, ReturnType, Type, TypeImplTrait};

use super::parse::GoFn;

// Input:  a checked fn, e.g. `/// docs #[go] pub async fn fetch(id: u64) -> User { body }`
// Output: `/// docs #[track_caller] pub fn fetch(id: u64) -> ::goscope::__private::Task<User> {
//              ::goscope::__private::spawn::<User, _>(name, async move { let id = id; body })
//          }`; with `detach`, no return type and `spawn::<(), _>(…).detach()`
pub(crate) fn expand(go: GoFn) -> TokenStream {
    let GoFn {
        blocking,
        detach,
        name,
        attrs,
        vis,
        defaultness,
        sig,
        stmts,
    } = go;
    let has_track_caller = attrs.iter().any(|a| a.path().is_ident("track_caller"));
    let track_caller = (!has_track_caller).then(|| quote!(#[track_caller]));
    let safety = &sig.safety;
    let fn_token = &sig.fn_token;
    let ident = &sig.ident;
    let generics = &sig.generics;
    let where_clause = &generics.where_clause;
    let Args { params, rebinds } = split_args(&sig);
    let (output, output_span, nameable, written) = match &sig.output {
        ReturnType::Default => (quote!(()), ident.span(), true, false),
        ReturnType::Type(_, ty) => (quote!(#ty), ty.span(), !contains_impl_trait(ty), true),
    };
    let body = Body {
        blocking,
        output: &output,
        output_span,
        turbofish: nameable,
        closure_output: nameable && written,
        name: task_name(name.as_ref(), ident),
        rebinds,
        stmts,
    };
    // Type and `Send` errors about the task land on the fn's name, not on `#[go]`.
    let task = spawn(body, ident.span());
    let (output, call) = if detach {
        (None, quote!(#task.detach()))
    } else {
        let output = quote!(-> ::goscope::__private::Task<#output>);
        (Some(output), task)
    };
    quote! {
        #(#attrs)*
        #track_caller
        #vis #defaultness #safety #fn_token #ident #generics (#(#params),*) #output #where_clause {
            #call
        }
    }
}

/// What the spawned task runs.
struct Body<'a> {
    /// A sync body for the blocking pool, rather than an async one.
    blocking: bool,
    /// The fn's return type, `()` if none.
    output: &'a TokenStream,
    /// Where the return type is written (the fn's name if it is not).
    output_span: Span,
    /// Name the output in a turbofish, so that `?` in the body infers; not possible when
    /// it mentions `impl Trait`.
    turbofish: bool,
    /// Name the output as the closure's return type (`blocking`): the same, and only when
    /// the fn spells out a return type.
    closure_output: bool,
    /// The task's name, a `&'static str` expression.
    name: TokenStream,
    /// The statements that move the arguments into the task.
    rebinds: Vec<TokenStream>,
    /// The fn's statements.
    stmts: TokenStream,
}

// Input:  the body of `async fn fetch(id: u64) -> User`, at `span`
// Output: `::goscope::__private::spawn::<User, _>(name, async move { let id = id; body })`;
//         with `blocking`:
//         `::goscope::__private::spawn_blocking::<User, _>(name, move || -> User { … })`
fn spawn(body: Body<'_>, span: Span) -> TokenStream {
    let Body {
        blocking,
        output,
        output_span,
        turbofish,
        closure_output,
        name,
        rebinds,
        stmts,
    } = body;
    let turbofish = turbofish.then(|| quote_spanned!(span=> ::<#output, _>));
    if blocking {
        let closure_output = closure_output.then(|| quote_spanned!(span=> -> #output));
        quote_spanned! {span=>
            ::goscope::__private::spawn_blocking #turbofish (#name, move || #closure_output {
                #(#rebinds)*
                #stmts
            })
        }
    } else {
        // An async block's output type is inferred from its first `return` or its tail, so
        // `return Box::new(x)` for a `Box<dyn Error>` would not coerce. A dead `return` of
        // the declared type, first, fixes it as an `async fn`'s signature would.
        // Its spans are hygienic but located at the return type, where rustc's "return type
        // inferred to be `T` here" note then points.
        let fix_output = turbofish.is_some().then(|| {
            let at = Span::mixed_site().located_at(output_span);
            let value = format_ident!("__goscope_output", span = at);
            quote_spanned! {at=>
                if let ::core::option::Option::Some(#value) = ::core::option::Option::<#output>::None {
                    return #value;
                }
            }
        });
        quote_spanned! {span=>
            ::goscope::__private::spawn #turbofish (#name, async move {
                #fix_output
                #(#rebinds)*
                #stmts
            })
        }
    }
}

// Input:  `Some("billing.charge")`, or `None` for `fn fetch_user`
// Output: `&"billing.charge"`, or `&::core::concat!(::core::module_path!(), "::", "fetch_user")`
//         (a reference to a literal is promoted to `&'static &'static str`: a thin pointer
//         keeps the task small)
fn task_name(name: Option<&LitStr>, ident: &Ident) -> TokenStream {
    match name {
        Some(name) => quote!(&#name),
        None => {
            let ident = syn::ext::IdentExt::unraw(ident).to_string();
            quote!(&::core::concat!(::core::module_path!(), "::", #ident))
        }
    }
}

/// The wrapper's parameters, and the statements that move them into the task.
struct Args {
    /// The wrapper's parameters: plain names, `mut` dropped, patterns renamed.
    params: Vec<TokenStream>,
    /// `let` statements that rebind each parameter inside the task.
    rebinds: Vec<TokenStream>,
}

// Input:  `self: Arc<Self>, id: u64, mut n: u32, (a, b): (u8, u8), _: Guard`
// Output: params `self: Arc<Self>, id: u64, n: u32, __goscope_arg3: (u8, u8),
//         __goscope_arg4: Guard`; rebinds `let _ = &self; let id = id; let mut n = n;
//         let __goscope_arg3 = __goscope_arg3; let (a, b) = __goscope_arg3;
//         let __goscope_arg4 = __goscope_arg4;` (each argument lives as long as the task, as
//         in an `async fn`; `mut` moves inside so the wrapper has no unused `mut`)
fn split_args(sig: &syn::Signature) -> Args {
    let mut params = Vec::new();
    let mut rebinds = Vec::new();
    for (index, arg) in sig.inputs.iter().enumerate() {
        let pat_type = match arg {
            FnArg::Receiver(receiver) => {
                let self_token = &receiver.self_token;
                params.push(quote!(#receiver));
                // Capture all of `self` even if the body only touches a field.
                rebinds.push(quote!(let _ = &#self_token;));
                continue;
            }
            FnArg::Typed(pat_type) => pat_type,
        };
        let attrs = &pat_type.attrs;
        let ty = &pat_type.ty;
        match &*pat_type.pat {
            Pat::Ident(PatIdent {
                by_ref: None,
                mutability,
                ident,
                subpat: None,
                ..
            }) => {
                params.push(quote!(#(#attrs)* #ident: #ty));
                rebinds.push(quote!(#(#attrs)* let #mutability #ident = #ident;));
            }
            pat => {
                let span = Span::mixed_site().located_at(pat.span());
                let arg = format_ident!("__goscope_arg{}", index, span = span);
                params.push(quote!(#(#attrs)* #arg: #ty));
                rebinds.push(quote!(#(#attrs)* let #arg = #arg;));
                if !matches!(pat, Pat::Wild(_)) {
                    rebinds.push(quote!(#(#attrs)* let #pat = #arg;));
                }
            }
        }
    }
    Args { params, rebinds }
}

/// Whether `ty` mentions `impl Trait` anywhere.
fn contains_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_type_impl_trait(&mut self, node: &'ast TypeImplTrait) {
            self.0 = true;
            visit::visit_type_impl_trait(self, node);
        }
    }
    let mut finder = Finder(false);
    finder.visit_type(ty);
    finder.0
}
