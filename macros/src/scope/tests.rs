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
        out.contains(". timeout (d) . limit (4) . supervise ()"),
        "{out}"
    );
    assert!(out.contains("run (& s , async"), "{out}");
}

#[test]
fn misuses_name_the_fix() {
    let cases = [
        (quote!(|| { Ok(()) }), "the closure has no parameter"),
        (quote!(|a, b| { Ok(()) }), "found 2 parameters"),
        (quote!(|s| Ok(())), "the body of `scope!` must be a block"),
        (
            quote!(deadline = 1, |s| { Ok(()) }),
            "unknown `scope!` option `deadline`",
        ),
        (
            quote!(limit = 2, limit = 3, |s| { Ok(()) }),
            "`limit` is given twice",
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

#[test]
fn a_typed_parameter_parses_and_checks_the_handle() {
    let scope = parse::parse(input(quote!(limit = 2, |s: Scope<'_, MyError>| { Ok(1) }))).unwrap();
    assert_eq!(scope.handle, "s");
    let ty = scope.ty.as_ref().expect("the parameter's type");
    assert_eq!(quote!(#ty).to_string(), "Scope < '_ , MyError >");
    let out = expand::expand(scope).to_string();
    assert!(
        out.contains("let _ : & Scope < '_ , MyError > = & s ;"),
        "{out}"
    );
    assert!(out.contains("run (& s , async"), "{out}");

    let untyped = parse::parse(input(quote!(|s| { Ok(1) }))).unwrap();
    assert!(untyped.ty.is_none());
    assert!(!expand::expand(untyped).to_string().contains("let _"));
}

#[test]
fn a_typed_parameter_that_is_not_a_plain_name_is_refused() {
    let errors = errors(quote!(|(a, b): (u8, u8)| { Ok(()) }));
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("the scope parameter must be a plain name"),
        "{errors:?}"
    );
}
