//! `select!` input: the AST, its parser, and every check. All user-facing errors live here.
//!
//! ```text
//! select! {
//!     [biased;]
//!     ( [pattern =] operation [, if guard] => body [,] )*
//!     [default => body [,]]
//! }
//! operation := recv(receiver) | send(sender, value) | after(duration) | future
//! ```
//! A `future` needs a pattern (`_ = fut`). A body is a block or an expression; an
//! expression body is followed by a comma unless it is the last case (match-arm rules).

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::visit::Visit;
use syn::{Expr, Ident, Pat, Token};

use crate::error::Errors;

/// How the select waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `select!`: awaits (async code only), unless it has a `default`.
    Async,
    /// `select_blocking!`: parks the thread.
    Blocking,
}

/// A checked `select!`.
pub(crate) struct Select {
    /// `$crate`, as the `macro_rules!` wrapper passed it.
    pub(crate) krate: TokenStream,
    pub(crate) mode: Mode,
    pub(crate) biased: bool,
    pub(crate) cases: Vec<Case>,
    pub(crate) default: Option<Expr>,
}

pub(crate) struct Case {
    /// `None`: no pattern (`recv(rx) =>`, `send(tx, v) =>`).
    pub(crate) pat: Option<Pat>,
    pub(crate) op: Op,
    pub(crate) guard: Option<Expr>,
    pub(crate) body: Expr,
}

pub(crate) enum Op {
    Recv { chan: Expr },
    Send { chan: Expr, value: Expr },
    After { keyword: Ident, duration: Expr },
    Future(Expr),
}

/// A binding a case pattern introduces, carried out of the select to the body.
pub(crate) struct Binding {
    pub(crate) ident: Ident,
    pub(crate) mutability: Option<Token![mut]>,
}

const OPERATIONS: [&str; 3] = ["recv", "send", "after"];
const FORMS: &str = "expected `recv(rx)`, `send(tx, value)`, `after(duration)`, \
                     `pattern = future` or `default`";

/// Parses the wrapper's `($crate) async|blocking …` input.
pub(crate) fn parse(input: TokenStream) -> syn::Result<Select> {
    (|input: ParseStream<'_>| parse_select(input)).parse2(input)
}

fn parse_select(input: ParseStream<'_>) -> syn::Result<Select> {
    let krate;
    syn::parenthesized!(krate in input);
    let krate: TokenStream = krate.parse()?;
    let mode = match input.call(Ident::parse_any)?.to_string().as_str() {
        "blocking" => Mode::Blocking,
        _ => Mode::Async,
    };
    let mut errors = Errors::new();
    let mut biased = false;
    if input.peek(kw::biased) && input.peek2(Token![;]) {
        input.parse::<kw::biased>()?;
        input.parse::<Token![;]>()?;
        biased = true;
    }
    if input.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            "empty `select!`: it needs at least one case, e.g. `v = recv(rx) => …`",
        ));
    }
    let mut cases = Vec::new();
    let mut default: Option<(Token![default], Expr)> = None;
    while !input.is_empty() {
        if input.peek(kw::biased) && input.peek2(Token![;]) {
            let token = input.parse::<kw::biased>()?;
            input.parse::<Token![;]>()?;
            errors.spanned(
                token,
                "`biased;` must come first in a `select!`, before every case; move it to the top",
            );
            continue;
        }
        if input.peek(Token![default]) {
            let keyword: Token![default] = input.parse()?;
            if input.peek(Token![,]) && input.peek2(Token![if]) {
                return Err(errors.fail(syn::Error::new_spanned(
                    keyword,
                    "`default` cannot have a guard; it runs when no case is ready",
                )));
            }
            let body = parse_arrow_and_body(input, "`default`")?;
            if default.is_some() {
                errors.spanned(
                    keyword,
                    "there can be only one `default` case in a `select!`",
                );
            } else {
                default = Some((keyword, body));
            }
            continue;
        }
        match parse_case(input, &mut errors) {
            Ok(case) => cases.push(case),
            Err(error) => return Err(errors.fail(error)),
        }
    }
    errors.finish(Select {
        krate,
        mode,
        biased,
        cases,
        default: default.map(|(_, body)| body),
    })
}

fn parse_case(input: ParseStream<'_>, errors: &mut Errors) -> syn::Result<Case> {
    let pat = if has_pattern(input) {
        let pat = Pat::parse_multi_with_leading_vert(input)?;
        input.parse::<Token![=]>()?;
        if input.peek(Token![default]) {
            return Err(syn::Error::new_spanned(
                &pat,
                "`default` takes no pattern; write `default => …`",
            ));
        }
        check_bindings(&pat, errors);
        Some(pat)
    } else {
        None
    };
    let op = parse_op(input, pat.is_some())?;
    if let Op::Send { value, .. } = &op {
        check_send_value(value, errors);
    }
    let guard = if input.peek(Token![,]) && input.peek2(Token![if]) {
        input.parse::<Token![,]>()?;
        let if_token: Token![if] = input.parse()?;
        if input.peek(Token![=>]) {
            return Err(syn::Error::new_spanned(
                if_token,
                "expected a condition after `if`, e.g. `, if ready =>`",
            ));
        }
        Some(Expr::parse_without_eager_brace(input)?)
    } else {
        None
    };
    let body = parse_arrow_and_body(input, "the case")?;
    Ok(Case {
        pat,
        op,
        guard,
        body,
    })
}

/// Is the next case `pattern = …`? A pattern is followed by a single `=` (not `=>`).
fn has_pattern(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    Pat::parse_multi_with_leading_vert(&fork).is_ok()
        && fork.peek(Token![=])
        && !fork.peek(Token![=>])
        && !fork.peek(Token![==])
}

fn parse_op(input: ParseStream<'_>, has_pat: bool) -> syn::Result<Op> {
    // `recv(…)`, `send(…)`, `after(…)`: a bare identifier and a parenthesised list.
    if input.peek(Ident::peek_any) && input.peek2(syn::token::Paren) {
        let fork = input.fork();
        let name = fork.call(Ident::parse_any)?;
        let known = OPERATIONS.contains(&name.to_string().as_str());
        if known || !has_pat {
            input.call(Ident::parse_any)?;
            let args;
            let parens = syn::parenthesized!(args in input);
            let args: Punctuated<Expr, Token![,]> =
                args.parse_terminated(Expr::parse, Token![,])?;
            return operation(name, parens.span.join(), args);
        }
    }
    if !has_pat {
        let message = match next_token(input) {
            Some(found) => format!("{FORMS}, found `{found}`"),
            None => FORMS.to_owned(),
        };
        return Err(input.error(message));
    }
    Ok(Op::Future(input.parse()?))
}

fn operation(name: Ident, parens: Span, args: Punctuated<Expr, Token![,]>) -> syn::Result<Op> {
    let n = args.len();
    let mut args = args.into_iter();
    match name.to_string().as_str() {
        "recv" => match (args.next(), n) {
            (Some(chan), 1) => Ok(Op::Recv { chan }),
            _ => Err(syn::Error::new(
                parens,
                format!("`recv` takes one receiver, found {n} arguments; write `recv(rx)`"),
            )),
        },
        "send" => match (args.next(), args.next(), n) {
            (Some(chan), Some(value), 2) => Ok(Op::Send { chan, value }),
            _ => Err(syn::Error::new(
                parens,
                format!(
                    "`send` takes a sender and a value, found {n} argument{}; write \
                     `send(tx, value)`",
                    if n == 1 { "" } else { "s" }
                ),
            )),
        },
        "after" => match (args.next(), n) {
            (Some(duration), 1) => Ok(Op::After {
                keyword: name,
                duration,
            }),
            _ => Err(syn::Error::new(
                parens,
                format!("`after` takes one duration, found {n} arguments; write `after(d)`"),
            )),
        },
        other => {
            let hint = suggest(other)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_else(|| "; a future case needs a pattern: `_ = future`".to_owned());
            Err(syn::Error::new_spanned(
                &name,
                format!("unknown `select!` operation `{other}`{hint}"),
            ))
        }
    }
}

/// The operation `name` was probably meant to be: one edit or transposition away, or
/// sharing a prefix of three letters.
fn suggest(name: &str) -> Option<&'static str> {
    OPERATIONS
        .into_iter()
        .find(|op| distance(name, op) <= 2 || (name.len() >= 3 && op.starts_with(&name[..3])))
}

/// Levenshtein distance, for short identifiers.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// `=> body` and the comma rules of match arms.
fn parse_arrow_and_body(input: ParseStream<'_>, what: &str) -> syn::Result<Expr> {
    if !input.peek(Token![=>]) {
        let message = match next_token(input) {
            Some(found) => format!("expected `=>` after {what}, found `{found}`"),
            None => format!("expected `=>` after {what}"),
        };
        return Err(input.error(message));
    }
    input.parse::<Token![=>]>()?;
    let body = Expr::parse_with_earlier_boundary_rule(input)?;
    if input.is_empty() {
        return Ok(body);
    }
    if input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
    } else if requires_comma(&body) {
        return Err(input.error(
            "expected `,` before this case: the body of the case before it is an expression, \
             which ends with a comma unless it is a block",
        ));
    }
    Ok(body)
}

/// The next token as written, joint punctuation together (`->`, not `-`).
fn next_token(input: ParseStream<'_>) -> Option<String> {
    let mut cursor = input.cursor();
    let mut text = String::new();
    while let Some((punct, next)) = cursor.punct() {
        text.push(punct.as_char());
        if punct.spacing() == proc_macro2::Spacing::Alone {
            return Some(text);
        }
        cursor = next;
    }
    if !text.is_empty() {
        return Some(text);
    }
    cursor.token_tree().map(|(tt, _)| match &tt {
        proc_macro2::TokenTree::Group(g) => match g.delimiter() {
            proc_macro2::Delimiter::Brace => "{".to_owned(),
            proc_macro2::Delimiter::Bracket => "[".to_owned(),
            proc_macro2::Delimiter::Parenthesis => "(".to_owned(),
            proc_macro2::Delimiter::None => tt.to_string(),
        },
        _ => tt.to_string(),
    })
}

/// Match-arm rules: block-like expressions end an arm without a comma.
fn requires_comma(expr: &Expr) -> bool {
    !matches!(
        expr,
        Expr::If(_)
            | Expr::Match(_)
            | Expr::Block(_)
            | Expr::Unsafe(_)
            | Expr::While(_)
            | Expr::Loop(_)
            | Expr::ForLoop(_)
            | Expr::TryBlock(_)
            | Expr::Const(_)
    ) && !matches!(expr, Expr::Macro(m) if matches!(m.mac.delimiter, syn::MacroDelimiter::Brace(_)))
}

/// `ref` bindings would borrow from the value inside the select, which is gone by the time
/// the body runs.
fn check_bindings(pat: &Pat, errors: &mut Errors) {
    let mut bindings = Vec::new();
    collect_bindings(pat, &mut bindings, &mut |ident, by_ref| {
        errors.spanned(
            quote::quote!(#by_ref #ident),
            "`ref` bindings are not supported in a `select!` pattern: the body runs after the \
             select, when the value is owned by the pattern; bind by value",
        );
    });
}

/// The bindings of `pat`, in order. An identifier that starts with an uppercase letter and
/// has no `mut`, `ref` or `@` is taken for a unit struct, variant or constant, as rustc's
/// naming conventions suggest. For alternatives (`a | b`), the first one's bindings.
pub(crate) fn bindings(pat: &Pat) -> Vec<Binding> {
    let mut bindings = Vec::new();
    collect_bindings(pat, &mut bindings, &mut |_, _| {});
    bindings
}

fn collect_bindings(
    pat: &Pat,
    out: &mut Vec<Binding>,
    on_ref: &mut dyn FnMut(&Ident, &Token![ref]),
) {
    match pat {
        Pat::Ident(p) => {
            if let Some(by_ref) = &p.by_ref {
                on_ref(&p.ident, by_ref);
            }
            let constant = p.by_ref.is_none()
                && p.mutability.is_none()
                && p.subpat.is_none()
                && p.ident.to_string().starts_with(char::is_uppercase);
            if !constant {
                out.push(Binding {
                    ident: p.ident.clone(),
                    mutability: p.mutability,
                });
            }
            if let Some((_, sub)) = &p.subpat {
                collect_bindings(sub, out, on_ref);
            }
        }
        Pat::Or(p) => {
            if let Some(first) = p.cases.first() {
                collect_bindings(first, out, on_ref);
            }
        }
        Pat::Paren(p) => collect_bindings(&p.pat, out, on_ref),
        Pat::Reference(p) => collect_bindings(&p.pat, out, on_ref),
        Pat::Slice(p) => p
            .elems
            .iter()
            .for_each(|e| collect_bindings(e, out, on_ref)),
        Pat::Struct(p) => p
            .fields
            .iter()
            .for_each(|f| collect_bindings(&f.pat, out, on_ref)),
        Pat::Tuple(p) => p
            .elems
            .iter()
            .for_each(|e| collect_bindings(e, out, on_ref)),
        Pat::TupleStruct(p) => p
            .elems
            .iter()
            .for_each(|e| collect_bindings(e, out, on_ref)),
        Pat::Type(p) => collect_bindings(&p.pat, out, on_ref),
        _ => {}
    }
}

/// A send case's value runs inside the select, in a closure, only if the case is chosen:
/// `?`, `return` and `.await` there cannot act on the enclosing code.
fn check_send_value(value: &Expr, errors: &mut Errors) {
    struct Finder<'e> {
        errors: &'e mut Errors,
    }
    const WHY: &str = "the value of a `send` case is computed inside the `select!`, only when \
                       the case is chosen; compute it before the `select!`";
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_expr_try(&mut self, node: &'ast syn::ExprTry) {
            self.errors.spanned(
                node.question_token,
                format!("`?` cannot be used in the value of a `send` case: {WHY}"),
            );
            syn::visit::visit_expr_try(self, node);
        }
        fn visit_expr_return(&mut self, node: &'ast syn::ExprReturn) {
            self.errors.spanned(
                node.return_token,
                format!("`return` cannot be used in the value of a `send` case: {WHY}"),
            );
        }
        fn visit_expr_await(&mut self, node: &'ast syn::ExprAwait) {
            self.errors.spanned(
                node.await_token,
                format!("`.await` cannot be used in the value of a `send` case: {WHY}"),
            );
        }
        // Their own `?`, `return` and `.await` are theirs.
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    Finder { errors }.visit_expr(value);
}

mod kw {
    syn::custom_keyword!(biased);
}
