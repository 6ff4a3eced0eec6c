//! `scope!` input: the options, the closure, and every check.
//!
//! ```text
//! scope!( [timeout = expr,] [limit = expr,] [supervise,] |ident [: Type]| { body } )
//! ```
//!
//! `Type`, if given, must be the scope handle, `goscope::Scope<'_, E>`: it names the error
//! type `E` (the form rustc's inference hint suggests).

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::{Block, Expr, Ident, Token, Type};

use crate::error::Errors;
use crate::options::{self, Spec, Table};

/// A checked `scope!`.
pub(crate) struct Scope {
    /// `$crate`, as the `macro_rules!` wrapper passed it.
    pub(crate) krate: TokenStream,
    pub(crate) timeout: Option<Expr>,
    pub(crate) limit: Option<Expr>,
    pub(crate) supervise: bool,
    /// The closure's parameter: the scope handle's name in the body.
    pub(crate) handle: Ident,
    /// The parameter's type, if written: `Scope<'_, MyError>`.
    pub(crate) ty: Option<Type>,
    pub(crate) body: Block,
}

/// The options `scope!` accepts before its closure.
const OPTIONS: Table = Table {
    owner: "`scope!`",
    options: &[
        Spec::keyed("timeout", "Duration::from_secs(5)"),
        Spec::keyed("limit", "4"),
        Spec::flag("supervise"),
    ],
    unknown: None,
};

pub(crate) fn parse(input: TokenStream) -> syn::Result<Scope> {
    (|input: ParseStream<'_>| parse_scope(input)).parse2(input)
}

fn parse_scope(input: ParseStream<'_>) -> syn::Result<Scope> {
    let krate;
    syn::parenthesized!(krate in input);
    let krate: TokenStream = krate.parse()?;
    let mut errors = Errors::new();
    let options = options::parse(
        input,
        &OPTIONS,
        |input| !input.is_empty() && !input.peek(Token![|]) && !input.peek(Token![||]),
        &mut errors,
    );
    let mut options = match options {
        Ok(options) => options,
        Err(error) => return Err(errors.fail(error)),
    };
    let timeout = options.take("timeout");
    let limit = options.take("limit");
    if let Some(zero) = limit.as_ref().filter(|limit| is_zero(limit)) {
        errors.spanned(
            zero,
            "`limit = 0` would never start a child; use at least 1",
        );
    }
    let supervise = options.flag("supervise").is_some();
    let (handle, ty, body) = match parse_closure(input) {
        Ok(closure) => closure,
        Err(error) => return Err(errors.fail(error)),
    };
    errors.finish(Scope {
        krate,
        timeout,
        limit,
        supervise,
        handle,
        ty,
        body,
    })
}

/// `|s| { body }` or `|s: Type| { body }`.
fn parse_closure(input: ParseStream<'_>) -> syn::Result<(Ident, Option<Type>, Block)> {
    const SHAPE: &str = "`scope!` takes a closure with one parameter, the scope: `|s| { … }`";
    if input.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            format!("missing the body; {SHAPE}"),
        ));
    }
    if input.peek(Token![||]) {
        let token: Token![||] = input.parse()?;
        return Err(syn::Error::new_spanned(
            token,
            format!("the closure has no parameter; {SHAPE}"),
        ));
    }
    let open: Token![|] = input.parse()?;
    let mut params = Vec::new();
    while !input.peek(Token![|]) {
        if input.is_empty() {
            return Err(syn::Error::new_spanned(
                open,
                format!("unclosed `|`; {SHAPE}"),
            ));
        }
        let param = syn::Pat::parse_single(input)?;
        let ty = if input.peek(Token![:]) {
            let colon: Token![:] = input.parse()?;
            if input.peek(Token![|]) || input.peek(Token![,]) || input.is_empty() {
                return Err(syn::Error::new_spanned(
                    colon,
                    "missing the parameter's type after `:`; write `|s: Scope<'_, MyError>|`, \
                     or `|s|` to infer the error type",
                ));
            }
            Some(input.parse::<Type>()?)
        } else {
            None
        };
        params.push((param, ty));
        if !input.peek(Token![|]) {
            input.parse::<Token![,]>()?;
        }
    }
    input.parse::<Token![|]>()?;
    let (handle, ty) = match params.as_slice() {
        [(syn::Pat::Ident(p), ty)]
            if p.by_ref.is_none() && p.mutability.is_none() && p.subpat.is_none() =>
        {
            (p.ident.clone(), ty.clone())
        }
        [(other, _)] => {
            return Err(syn::Error::new_spanned(
                other,
                "the scope parameter must be a plain name; write `|s| { … }` or \
                 `|s: Scope<'_, MyError>| { … }`",
            ));
        }
        [] => {
            return Err(syn::Error::new_spanned(
                open,
                format!("the closure has no parameter; {SHAPE}"),
            ));
        }
        [_, (second, _), ..] => {
            return Err(syn::Error::new_spanned(
                second,
                format!(
                    "found {} parameters; `scope!` takes a closure with one parameter, the \
                     scope: `|s| {{ … }}`",
                    params.len()
                ),
            ));
        }
    };
    if !input.peek(syn::token::Brace) {
        let body: Expr = input.parse()?;
        return Err(syn::Error::new_spanned(
            body,
            "the body of `scope!` must be a block: `|s| { … }`",
        ));
    }
    let body: Block = input.parse()?;
    if !input.is_empty() {
        return Err(input.error("unexpected tokens after the body of `scope!`"));
    }
    Ok((handle, ty, body))
}

fn is_zero(expr: &Expr) -> bool {
    matches!(expr, Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) if i.base10_digits() == "0")
}
