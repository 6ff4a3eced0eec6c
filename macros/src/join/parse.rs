//! `all!` and `race!` input: a syntax tree for each, their parsers, and every check.
//!
//! ```text
//! all!(  branch[?], … )
//! race!( [biased;] [ok:] [timeout = expr,] branch, … )
//! ```
//!
//! Both read the same shape (prefixes, options, comma-separated futures) so that a
//! `race!` option written in an `all!`, or an `all!` mark written in a `race!`, is named as
//! such rather than misread as a future.

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Token};

use crate::error::Errors;
use crate::options::{self, Spec, Table};

/// A checked `all!` or `race!`.
pub(crate) enum Join {
    All(All),
    Race(Race),
}

/// A checked `all!(a, b?, …)`: every branch runs to the end, or to the first `Err` of a
/// branch marked `?`.
pub(crate) struct All {
    /// `$crate`, as the `macro_rules!` wrapper passed it.
    pub(crate) krate: TokenStream,
    pub(crate) branches: Vec<Branch>,
}

/// One future of an `all!`.
pub(crate) struct Branch {
    pub(crate) fut: Expr,
    /// `all!(fut?)`: its `Err` ends the join and returns through `?`.
    pub(crate) question: Option<Token![?]>,
}

/// A checked `race!([biased;] [ok:] [timeout = d,] a, b, …)`: the first branch to finish
/// wins.
pub(crate) struct Race {
    /// `$crate`, as the `macro_rules!` wrapper passed it.
    pub(crate) krate: TokenStream,
    /// `biased;`: poll in order, not from a random branch.
    pub(crate) biased: bool,
    /// `ok:`: the first `Ok` wins.
    pub(crate) ok: bool,
    /// `timeout = d`.
    pub(crate) timeout: Option<Expr>,
    pub(crate) branches: Vec<Expr>,
}

/// The options `race!` accepts after `biased;` and `ok:`.
const RACE_OPTIONS: Table = Table {
    owner: "`race!`",
    options: &[Spec::keyed("timeout", "Duration::from_secs(1)")],
    unknown: None,
};

/// `all!` accepts none: whatever looks like one is told how to put a deadline on it.
const ALL_OPTIONS: Table = Table {
    owner: "`all!`",
    options: &[],
    unknown: Some(|key| {
        format!(
            "`all!` takes no options (`{key} = …` is not a future); for a deadline, wrap it: \
             `goscope::timeout(d, async {{ all!(a, b) }}).await`"
        )
    }),
};

const ALL_LONE_QUESTION: &str = "`?` on its own is not a branch: it goes right after the \
                                 branch it marks, `all!(a?, b)`; `all!` evaluates to a tuple, \
                                 so a `?` on the whole would have nothing to apply to";

const RACE_LONE_QUESTION: &str = "`?` on its own is not a branch; to propagate the winner's \
                                  error, put `?` after the macro: `race!(a, b)?`";

/// Parses `($crate) …` as handed over by `all!`.
pub(crate) fn all(input: TokenStream) -> syn::Result<Join> {
    parse_all.parse2(input).map(Join::All)
}

/// Parses `($crate) …` as handed over by `race!`.
pub(crate) fn race(input: TokenStream) -> syn::Result<Join> {
    parse_race.parse2(input).map(Join::Race)
}

fn parse_all(input: ParseStream<'_>) -> syn::Result<All> {
    let krate = krate(input)?;
    let mut errors = Errors::new();
    let prefixes = Prefixes::parse(input, "all!")?;
    if let Some(span) = prefixes.biased {
        errors.push(syn::Error::new(
            span,
            "`all!` polls every branch to the end, so `biased;` has nothing to decide; it is a \
             `race!` option",
        ));
    }
    if let Some(span) = prefixes.ok {
        errors.push(syn::Error::new(
            span,
            "`ok:` is a `race!` option (the first `Ok` wins); in `all!`, mark a fallible \
             branch with `?` instead: `all!(a?, b?)`",
        ));
    }
    if let Err(error) = options::parse(input, &ALL_OPTIONS, is_option, &mut errors) {
        return Err(errors.fail(error));
    }
    let branches = match branches(input, ALL_LONE_QUESTION) {
        Ok(branches) => branches,
        Err(error) => return Err(errors.fail(error)),
    };
    if branches.is_empty() {
        return Err(errors.fail(empty("`all!`", "`all!(a, b)`")));
    }
    errors.finish(All { krate, branches })
}

fn parse_race(input: ParseStream<'_>) -> syn::Result<Race> {
    let krate = krate(input)?;
    let mut errors = Errors::new();
    let prefixes = Prefixes::parse(input, "race!")?;
    let ok = prefixes.ok.is_some();
    let timeout = match options::parse(input, &RACE_OPTIONS, is_option, &mut errors) {
        Ok(mut options) => options.take("timeout"),
        Err(error) => return Err(errors.fail(error)),
    };
    let branches = match branches(input, RACE_LONE_QUESTION) {
        Ok(branches) => branches,
        Err(error) => return Err(errors.fail(error)),
    };
    let branches: Vec<Expr> = branches
        .into_iter()
        .map(|Branch { fut, question }| {
            if let Some(question) = question {
                errors.spanned(
                    question,
                    "`race!` branches cannot use `?`: the first to finish wins, whatever it \
                     returns. For the first `Ok`, write `race!(ok: a, b)`; to propagate the \
                     winner's error, put `?` after the macro: `race!(a, b)?`",
                );
            }
            fut
        })
        .collect();
    if branches.is_empty() {
        let error = if ok {
            empty("`race!(ok: …)`", "`race!(ok: a, b)`")
        } else {
            empty("`race!`", "`race!(a, b)`")
        };
        return Err(errors.fail(error));
    }
    errors.finish(Race {
        krate,
        biased: prefixes.biased.is_some(),
        ok,
        timeout,
        branches,
    })
}

/// `($crate)`, as the `macro_rules!` wrapper passes it.
fn krate(input: ParseStream<'_>) -> syn::Result<TokenStream> {
    let krate;
    syn::parenthesized!(krate in input);
    krate.parse()
}

/// The prefixes, `biased;` then `ok:`, each where it was written.
struct Prefixes {
    biased: Option<Span>,
    ok: Option<Span>,
}

impl Prefixes {
    /// Reads the prefixes; a word followed by `;` or `:` (not `::`) that is not one of them
    /// is an error. `name` is the macro, for messages: `race!`.
    fn parse(input: ParseStream<'_>, name: &str) -> syn::Result<Self> {
        let mut biased = None;
        if input.peek(Ident) && input.peek2(Token![;]) {
            let word: Ident = input.parse()?;
            let semi: Token![;] = input.parse()?;
            if word != "biased" {
                return Err(syn::Error::new_spanned(
                    &word,
                    format!(
                        "unknown `{name}` option `{word};`; the only one followed by `;` is \
                         `biased;` (for `race!`)"
                    ),
                ));
            }
            biased = Some(word.span().join(semi.span).unwrap_or(word.span()));
        }
        let mut ok = None;
        if input.peek(Ident) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
            let word: Ident = input.parse()?;
            let colon: Token![:] = input.parse()?;
            if word != "ok" {
                return Err(syn::Error::new_spanned(
                    &word,
                    format!(
                        "unknown `{name}` option `{word}:`; the only one followed by `:` is \
                         `ok:` (for `race!`)"
                    ),
                ));
            }
            ok = Some(word.span().join(colon.span).unwrap_or(word.span()));
        }
        Ok(Self { biased, ok })
    }
}

/// `name = …` or `name,` where a name is an option: an identifier followed by `=` (not
/// `==`), or the bare word `timeout` followed by `,`.
fn is_option(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    let Ok(word) = fork.parse::<Ident>() else {
        return false;
    };
    if fork.peek(Token![==]) || fork.peek(Token![=>]) {
        return false;
    }
    fork.peek(Token![=]) || (word == "timeout" && (fork.peek(Token![,]) || fork.is_empty()))
}

/// The comma-separated futures, each with its `?` if it has one. `lone_question` is the
/// message for a `?` where a future should be.
fn branches(input: ParseStream<'_>, lone_question: &str) -> syn::Result<Vec<Branch>> {
    let mut branches = Vec::new();
    while !input.is_empty() {
        if input.peek(Token![?]) {
            let question: Token![?] = input.parse()?;
            return Err(syn::Error::new_spanned(question, lone_question));
        }
        branches.push(match input.parse()? {
            Expr::Try(t) => Branch {
                fut: *t.expr,
                question: Some(t.question_token),
            },
            fut => Branch {
                fut,
                question: None,
            },
        });
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(branches)
}

/// "`what` needs at least one future: `example`", for the whole call.
fn empty(what: &str, example: &str) -> syn::Error {
    syn::Error::new(
        Span::call_site(),
        format!("{what} needs at least one future: {example}"),
    )
}

impl Branch {
    /// The span errors about this branch's type point at.
    pub(crate) fn span(&self) -> Span {
        self.fut.span()
    }
}
