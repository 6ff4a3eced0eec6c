//! Unit tests: `parse` and `expand` on `quote!` input.

use proc_macro2::TokenStream;
use quote::quote;

use super::{expand, parse};

fn input(tokens: TokenStream) -> TokenStream {
    quote!((::goscope) #tokens)
}

fn errors(tokens: TokenStream) -> Vec<String> {
    match parse::parse(input(tokens)) {
        Ok(_) => panic!("expected an error"),
        Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn options_and_closure_parse() {
    let scope = parse::parse(input(quote!(timeout = d, limit = 4, supervise, |s| {
        Ok(1)
    })))
    .unwrap();
    assert!(scope.timeout.is_some() && scope.limit.is_some() && scope.supervise);
    assert_eq!(scope.handle, "s");
    let out = expand::expand(scope).to_string();
    assert!(
        out.contains("supervise (:: goscope :: __private :: scope :: limit (:: goscope :: __private :: scope :: timeout (:: goscope :: __private :: scope :: new () , d) , 4))"),
        "{out}"
    );
    assert!(out.contains("run (& s , async"), "{out}");
}

#[test]
fn a_typed_parameter_parses_and_types_the_handle() {
    let scope = parse::parse(input(quote!(limit = 2, |s: Scope<'_, MyError>| { Ok(1) }))).unwrap();
    assert_eq!(scope.handle, "s");
    let ty = scope.ty.as_ref().map(|ty| quote!(#ty).to_string());
    assert_eq!(ty.as_deref(), Some("Scope < '_ , MyError >"));
    let out = expand::expand(scope).to_string();
    assert!(
        out.contains("typed :: < Scope < '_ , MyError > , _ > (& s) ;"),
        "{out}"
    );

    let scope = parse::parse(input(quote!(|s: goscope::Scope<'_, E>| { Ok(()) }))).unwrap();
    let ty = scope.ty.as_ref().map(|ty| quote!(#ty).to_string());
    assert_eq!(ty.as_deref(), Some("goscope :: Scope < '_ , E >"));

    let scope = parse::parse(input(quote!(|s| { Ok(()) }))).unwrap();
    assert!(scope.ty.is_none());
    assert!(!expand::expand(scope).to_string().contains("typed"));
}

#[test]
fn misuses_name_the_fix() {
    let cases = [
        (quote!(|| { Ok(()) }), "the closure has no parameter"),
        (quote!(|a, b| { Ok(()) }), "found 2 parameters"),
        (
            quote!(|s: Scope<'_, E>, t: u32| { Ok(()) }),
            "found 2 parameters",
        ),
        (
            quote!(|(a, b)| { Ok(()) }),
            "the scope parameter must be a plain name",
        ),
        (
            quote!(|mut s: Scope<'_, E>| { Ok(()) }),
            "the scope parameter must be a plain name",
        ),
        (
            quote!(|s: | { Ok(()) }),
            "missing the parameter's type after `:`",
        ),
        (quote!(|s| Ok(())), "the body of `scope!` must be a block"),
        (
            quote!(deadline = 1, |s| { Ok(()) }),
            "unknown `scope!` option `deadline`",
        ),
        (
            quote!(limit = 2, limit = 3, |s| { Ok(()) }),
            "duplicate `limit` option; remove one",
        ),
        (
            quote!(limit = 0, |s| { Ok(()) }),
            "`limit = 0` would never start a child",
        ),
        (quote!(timeout, |s| { Ok(()) }), "`timeout` needs a value"),
        (
            quote!(supervise = true, |s| { Ok(()) }),
            "`supervise` takes no value",
        ),
        (quote!(), "missing the body"),
    ];
    for (tokens, expected) in cases {
        let messages = errors(tokens.clone());
        assert!(
            messages.iter().any(|m| m.contains(expected)),
            "`{tokens}`: {messages:#?} does not say {expected:?}"
        );
    }
}
