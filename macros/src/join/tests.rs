//! Unit tests: `parse` and `expand` on `quote!` input.

use proc_macro2::TokenStream;
use quote::quote;

use super::expand;
use super::parse::{self, Join};

fn input(tokens: TokenStream) -> TokenStream {
    quote!((::goscope) #tokens)
}

/// Which macro a case is about.
#[derive(Clone, Copy, Debug)]
enum Macro {
    All,
    Race,
}

fn parse(which: Macro, tokens: TokenStream) -> syn::Result<Join> {
    match which {
        Macro::All => parse::all(input(tokens)),
        Macro::Race => parse::race(input(tokens)),
    }
}

fn parse_all(tokens: TokenStream) -> parse::All {
    match parse(Macro::All, tokens) {
        Ok(Join::All(all)) => all,
        Ok(Join::Race(_)) => panic!("`all!` parsed as a `race!`"),
        Err(error) => panic!("unexpected error: {error}"),
    }
}

fn parse_race(tokens: TokenStream) -> parse::Race {
    match parse(Macro::Race, tokens) {
        Ok(Join::Race(race)) => race,
        Ok(Join::All(_)) => panic!("`race!` parsed as an `all!`"),
        Err(error) => panic!("unexpected error: {error}"),
    }
}

fn errors(which: Macro, tokens: TokenStream) -> Vec<String> {
    match parse(which, tokens) {
        Ok(_) => panic!("expected an error"),
        Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn all_branches_and_question_marks_parse() {
    let all = parse_all(quote!(a(1)?, b, c.d()?,));
    let marked: Vec<bool> = all.branches.iter().map(|b| b.question.is_some()).collect();
    assert_eq!(marked, [true, false, true]);
    let out = expand::expand(Join::All(all)).to_string();
    assert!(out.contains("poll_try"), "{out}");
    assert!(out.contains("poll_done"), "{out}");
    assert!(out.contains("take_ok ()"), "{out}");
    assert!(out.contains("Infallible"), "{out}");
}

#[test]
fn race_options_parse_in_order() {
    let race = parse_race(quote!(biased; ok: timeout = Duration::from_secs(1), a, b));
    assert!(race.biased && race.ok && race.timeout.is_some());
    assert_eq!(race.branches.len(), 2);
    let out = expand::expand(Join::Race(race)).to_string();
    assert!(out.contains("timer"), "{out}");
    assert!(
        !out.contains(":: start ("),
        "biased: no random start: {out}"
    );

    let fair = expand::expand(Join::Race(parse_race(quote!(a, b)))).to_string();
    assert!(fair.contains(":: start (2usize)"), "{fair}");
}

#[test]
fn paths_and_comparisons_are_branches_not_options() {
    // `ok::f()` is a path, `x == y` a comparison: neither is an option.
    let race = parse_race(quote!(ok::f(), timeout == 1));
    assert!(!race.ok && race.timeout.is_none());
    assert_eq!(race.branches.len(), 2);
}

#[test]
fn misuses_name_the_fix() {
    let cases = [
        (Macro::All, quote!(), "`all!` needs at least one future"),
        (Macro::Race, quote!(), "`race!` needs at least one future"),
        (
            Macro::Race,
            quote!(ok:),
            "`race!(ok: …)` needs at least one future",
        ),
        (
            Macro::Race,
            quote!(deadline = d, a),
            "unknown `race!` option `deadline`",
        ),
        (
            Macro::All,
            quote!(timeout = d, a),
            "`all!` takes no options",
        ),
        (Macro::Race, quote!(timeout, a), "`timeout` needs a value"),
        (Macro::Race, quote!(timeout =, a), "`timeout` needs a value"),
        (
            Macro::Race,
            quote!(a?, b),
            "`race!` branches cannot use `?`",
        ),
        (Macro::All, quote!(a, ?), "`?` on its own is not a branch"),
        (
            Macro::Race,
            quote!(a, ?),
            "put `?` after the macro: `race!(a, b)?`",
        ),
        (Macro::All, quote!(ok:), "`all!` needs at least one future"),
        (Macro::All, quote!(ok: a), "`ok:` is a `race!` option"),
        (
            Macro::All,
            quote!(biased; a),
            "`biased;` has nothing to decide",
        ),
        (
            Macro::Race,
            quote!(fair; a),
            "unknown `race!` option `fair;`",
        ),
        (
            Macro::Race,
            quote!(first: a),
            "unknown `race!` option `first:`",
        ),
        (
            Macro::Race,
            quote!(timeout = a, timeout = b, c),
            "duplicate `timeout` option; remove one",
        ),
        (
            Macro::All,
            quote!(timeout, a),
            "`all!` takes no options (`timeout = …` is not a future)",
        ),
    ];
    for (which, tokens, expected) in cases {
        let errors = errors(which, tokens.clone());
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{which:?} `{tokens}`: expected `{expected}` in {errors:?}"
        );
    }
}

#[test]
fn independent_errors_are_all_reported() {
    let errors = errors(Macro::Race, quote!(a?, b?));
    assert_eq!(errors.len(), 2, "{errors:?}");
}
