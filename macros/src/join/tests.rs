//! Unit tests: `parse` and `expand` on `quote!` input.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Kind, expand, parse};

fn input(tokens: TokenStream) -> TokenStream {
    quote!((::goscope) #tokens)
}

fn errors(kind: Kind, tokens: TokenStream) -> Vec<String> {
    match parse::parse(kind, input(tokens)) {
        Ok(_) => panic!("expected an error"),
        Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn all_branches_and_question_marks_parse() {
    let join = parse::parse(Kind::All, input(quote!(a(1)?, b, c.d()?,))).unwrap();
    let marked: Vec<bool> = join.branches.iter().map(|b| b.question.is_some()).collect();
    assert_eq!(marked, [true, false, true]);
    let out = expand::expand(join).to_string();
    assert!(out.contains("poll_try"), "{out}");
    assert!(out.contains("poll_done"), "{out}");
    assert!(out.contains("take_ok ()"), "{out}");
    assert!(out.contains("Infallible"), "{out}");
}

#[test]
fn race_options_parse_in_order() {
    let join = parse::parse(
        Kind::Race,
        input(quote!(biased; ok: timeout = Duration::from_secs(1), a, b)),
    )
    .unwrap();
    assert!(join.biased && join.ok && join.timeout.is_some());
    assert_eq!(join.branches.len(), 2);
    let out = expand::expand(join).to_string();
    assert!(out.contains("timer"), "{out}");
    assert!(
        !out.contains(":: start ("),
        "biased: no random start: {out}"
    );

    let fair = expand::expand(parse::parse(Kind::Race, input(quote!(a, b))).unwrap()).to_string();
    assert!(fair.contains(":: start (2usize)"), "{fair}");
}

#[test]
fn paths_and_comparisons_are_branches_not_options() {
    // `ok::f()` is a path, `x == y` a comparison: neither is an option.
    let join = parse::parse(Kind::Race, input(quote!(ok::f(), timeout == 1))).unwrap();
    assert!(!join.ok && join.timeout.is_none());
    assert_eq!(join.branches.len(), 2);
}

#[test]
fn misuses_name_the_fix() {
    let cases = [
        (Kind::All, quote!(), "`all!` needs at least one future"),
        (Kind::Race, quote!(), "`race!` needs at least one future"),
        (
            Kind::Race,
            quote!(ok:),
            "`race!(ok: …)` needs at least one future",
        ),
        (
            Kind::Race,
            quote!(deadline = d, a),
            "unknown `race!` option `deadline`",
        ),
        (Kind::All, quote!(timeout = d, a), "`all!` takes no options"),
        (Kind::Race, quote!(timeout, a), "`timeout` needs a value"),
        (Kind::Race, quote!(timeout =, a), "`timeout` needs a value"),
        (Kind::Race, quote!(a?, b), "`race!` branches cannot use `?`"),
        (Kind::All, quote!(a, ?), "`?` on its own is not a branch"),
        (Kind::All, quote!(ok: a), "`ok:` is a `race!` option"),
        (
            Kind::All,
            quote!(biased; a),
            "`biased;` has nothing to decide",
        ),
        (
            Kind::Race,
            quote!(fair; a),
            "unknown `race!` option `fair;`",
        ),
        (
            Kind::Race,
            quote!(first: a),
            "unknown `race!` option `first:`",
        ),
        (
            Kind::Race,
            quote!(timeout = a, timeout = b, c),
            "duplicate `timeout` option; remove one",
        ),
    ];
    for (kind, tokens, expected) in cases {
        let errors = errors(kind, tokens.clone());
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{kind:?} `{tokens}`: expected `{expected}` in {errors:?}"
        );
    }
}

#[test]
fn independent_errors_are_all_reported() {
    let errors = errors(Kind::Race, quote!(a?, b?));
    assert_eq!(errors.len(), 2, "{errors:?}");
}
