//! Unit tests: `parse` and `expand` on `quote!` input.

use proc_macro2::TokenStream;
use quote::quote;

use super::parse::{Mode, Op, bindings, parse};
use super::{expand, select};

/// `select! { cases }` as the wrapper hands it over.
fn input(cases: TokenStream) -> TokenStream {
    quote!((::goscope) async #cases)
}

fn parsed(cases: TokenStream) -> super::parse::Select {
    match parse(input(cases)) {
        Ok(select) => select,
        Err(error) => panic!("unexpected error: {error}"),
    }
}

/// Every message `select! { cases }` is rejected with.
fn errors(cases: TokenStream) -> Vec<String> {
    match parse(input(cases)) {
        Ok(_) => panic!("expected an error"),
        Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn every_case_form_parses() {
    let select = parsed(quote! {
        biased;
        v = recv(rx) => v,
        recv(quit), if open => { done() }
        r = send(tx, make()) => r,
        send(&tx, 1) => {}
        _ = after(d) => (),
        n = fetch(1) => n,
        default => (),
    });
    assert_eq!(select.mode, Mode::Async);
    assert!(select.biased);
    assert!(select.default.is_some());
    let forms: Vec<&str> = select
        .cases
        .iter()
        .map(|c| match c.op {
            Op::Recv { .. } => "recv",
            Op::Send { .. } => "send",
            Op::After { .. } => "after",
            Op::Future(_) => "future",
        })
        .collect();
    assert_eq!(forms, ["recv", "recv", "send", "send", "after", "future"]);
    let patterns: Vec<bool> = select.cases.iter().map(|c| c.pat.is_some()).collect();
    assert_eq!(patterns, [true, false, true, false, true, true]);
    assert!(select.cases[1].guard.is_some());
}

#[test]
fn blocking_mode_is_read_from_the_wrapper() {
    let select = parse(quote!((::goscope) blocking v = recv(rx) => v)).unwrap();
    assert_eq!(select.mode, Mode::Blocking);
}

#[test]
fn bindings_skip_constants_and_keep_mut() {
    let pat: syn::Pat = syn::parse_quote!(Some((mut a, b @ Kind::X, None, C, ref_, [d, ..])));
    let names: Vec<String> = bindings(&pat)
        .into_iter()
        .map(|b| {
            format!(
                "{}{}",
                if b.mutability.is_some() { "mut " } else { "" },
                b.ident
            )
        })
        .collect();
    assert_eq!(names, ["mut a", "b", "ref_", "d"]);
    let alternatives: syn::Pat = syn::parse_quote!((0, v) | (v, _));
    assert_eq!(bindings(&alternatives).len(), 1);
}

#[test]
fn misuses_name_the_fix() {
    let cases = [
        (
            quote!(v = recv(rx) -> v,),
            "expected `=>` after the case, found `->`",
        ),
        (
            quote!(v = recv(rx) => v _ = recv(q) => (),),
            "expected `,` before this case",
        ),
        (
            quote!(default => 1, default => 2,),
            "there can be only one `default` case in a `select!`",
        ),
        (
            quote!(v = recv(rx) => v, biased;),
            "`biased;` must come first in a `select!`",
        ),
        (quote!(recieve(rx) => (),), "did you mean `recv`?"),
        (quote!(snd(tx, 1) => (),), "did you mean `send`?"),
        (
            quote!(fetch(1) => (),),
            "a future case needs a pattern: `_ = future`",
        ),
        (
            quote!(send(tx) => (),),
            "`send` takes a sender and a value, found 1 argument",
        ),
        (
            quote!(v = recv(a, b) => v,),
            "`recv` takes one receiver, found 2 arguments",
        ),
        (
            quote!(_ = after() => (),),
            "`after` takes one duration, found 0 arguments",
        ),
        (
            quote!(v = recv(rx), if => v,),
            "expected a condition after `if`",
        ),
        (quote!(x = default => x,), "`default` takes no pattern"),
        (
            quote!(default, if ready => (),),
            "`default` cannot have a guard",
        ),
        (
            quote!(Some(ref s) = recv(rx) => s,),
            "`ref` bindings are not supported",
        ),
        (
            quote!(send(tx, v?) => (),),
            "`?` cannot be used in the value of a `send` case",
        ),
        (
            quote!(send(tx, f().await) => (),),
            "`.await` cannot be used in the value",
        ),
        (
            quote!(send(tx, return) => (),),
            "`return` cannot be used in the value",
        ),
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
fn empty_select_is_rejected_and_biased_alone_too() {
    assert!(errors(quote!())[0].starts_with("empty `select!`"));
    assert!(errors(quote!(biased;))[0].starts_with("empty `select!`"));
}

#[test]
fn independent_mistakes_are_reported_together() {
    let messages = errors(quote! {
        Some(ref a) = recv(rx) => a,
        send(tx, x?) => (),
    });
    assert_eq!(messages.len(), 2, "{messages:#?}");
}

#[test]
fn closures_and_async_blocks_keep_their_own_question_marks() {
    let select = parsed(quote! {
        send(tx, (|| -> Result<u8, E> { Ok(f()?) })()) => (),
        send(tx2, async { g().await }) => (),
    });
    assert_eq!(select.cases.len(), 2);
}

#[test]
fn expansion_awaits_without_default_and_not_with_it() {
    let waits = expand::expand(parsed(quote!(v = recv(rx) => v, w = recv(rx2) => w,))).to_string();
    assert!(waits.contains("SelectMacroFuture :: new"), "{waits}");
    assert!(waits.contains(". await"), "{waits}");
    let polls = expand::expand(parsed(
        quote!(v = recv(rx) => v, w = recv(rx2) => w, default => None,),
    ))
    .to_string();
    assert!(polls.contains("try_select"), "{polls}");
    assert!(!polls.contains(". await"), "{polls}");
}

#[test]
fn an_error_still_expands_to_an_expression() {
    let out = select(input(quote!(v = recv(rx) -> v))).to_string();
    assert!(out.contains("compile_error"), "{out}");
    assert!(out.contains("unreachable"), "{out}");
}

#[test]
fn a_lone_unguarded_recv_is_the_receive_itself() {
    let lone = expand::expand(parsed(quote!(Some(v) = recv(rx) => v,))).to_string();
    assert!(lone.contains("recv_now"), "{lone}");
    assert!(lone.contains("all_disabled"), "{lone}");
    assert!(!lone.contains("SelectMacroFuture"), "{lone}");
    let with_default = expand::expand(parsed(quote!(v = recv(rx) => v, default => None,)));
    assert!(with_default.to_string().contains("try_recv_now"));
    let guarded = expand::expand(parsed(quote!(v = recv(rx), if on => v,))).to_string();
    assert!(guarded.contains("SelectMacroFuture"), "{guarded}");
}
