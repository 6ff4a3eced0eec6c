//! `all!` and `race!` input: the options, the branches, and every check.
//!
//! ```text
//! all!(  branch[?], … )
//! race!( [biased;] [ok:] [timeout = expr,] branch, … )
//! ```

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Token};

use crate::error::Errors;
use crate::options::{self, Spec, Table};

/// Which macro.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    All,
    Race,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::All => "all!",
            Kind::Race => "race!",
        }
    }
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

/// A checked `all!` or `race!`.
pub(crate) struct Join {
    pub(crate) kind: Kind,
    /// `$crate`, as the `macro_rules!` wrapper passed it.
    pub(crate) krate: TokenStream,
    /// `race!(biased; …)`: poll in order, not from a random branch.
    pub(crate) biased: bool,
    /// `race!(ok: …)`: the first `Ok` wins.
    pub(crate) ok: bool,
    /// `race!(timeout = d, …)`.
    pub(crate) timeout: Option<Expr>,
    pub(crate) branches: Vec<Branch>,
}

/// One future of the join.
pub(crate) struct Branch {
    pub(crate) fut: Expr,
    /// `all!(fut?)`: its `Err` ends the join and returns through `?`.
    pub(crate) question: Option<Token![?]>,
}

pub(crate) fn parse(kind: Kind, input: TokenStream) -> syn::Result<Join> {
    (|input: ParseStream<'_>| parse_join(kind, input)).parse2(input)
}

fn parse_join(kind: Kind, input: ParseStream<'_>) -> syn::Result<Join> {
    let krate;
    syn::parenthesized!(krate in input);
    let krate: TokenStream = krate.parse()?;
    let mut errors = Errors::new();
    let name = kind.name();

    let mut biased = false;
    if input.peek(Ident) && input.peek2(Token![;]) {
        let word: Ident = input.parse()?;
        let semi: Token![;] = input.parse()?;
        if word != "biased" {
            return Err(syn::Error::new_spanned(
                &word,
                format!(
                    "unknown `{name}` option `{word};`; the only one followed by `;` is `biased;` (for `race!`)"
                ),
            ));
        }
        if kind == Kind::All {
            errors.push(syn::Error::new(
                word.span().join(semi.span).unwrap_or(word.span()),
                "`all!` polls every branch to the end, so `biased;` has nothing to decide; it is a `race!` option",
            ));
        }
        biased = true;
    }

    let mut ok = false;
    if input.peek(Ident) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
        let word: Ident = input.parse()?;
        let colon: Token![:] = input.parse()?;
        if word != "ok" {
            return Err(syn::Error::new_spanned(
                &word,
                format!(
                    "unknown `{name}` option `{word}:`; the only one followed by `:` is `ok:` (for `race!`)"
                ),
            ));
        }
        if kind == Kind::All {
            errors.push(syn::Error::new(
                word.span().join(colon.span).unwrap_or(word.span()),
                "`ok:` is a `race!` option (the first `Ok` wins); in `all!`, mark a fallible branch with `?` instead: `all!(a?, b?)`",
            ));
        }
        ok = true;
    }

    let table = match kind {
        Kind::All => &ALL_OPTIONS,
        Kind::Race => &RACE_OPTIONS,
    };
    let timeout = match options::parse(input, table, is_option, &mut errors) {
        Ok(mut options) => options.take("timeout"),
        Err(error) => return Err(errors.fail(error)),
    };

    let mut branches = Vec::new();
    while !input.is_empty() {
        if input.peek(Token![?]) {
            let question: Token![?] = input.parse()?;
            return Err(errors.fail(syn::Error::new_spanned(
                question,
                format!(
                    "`?` on its own is not a branch: it goes right after the branch it marks, \
                     `{name}(a?, b)`; `{name}` evaluates to a tuple, so a `?` on the whole \
                     would have nothing to apply to"
                ),
            )));
        }
        let expr: Expr = input.parse()?;
        let branch = match expr {
            Expr::Try(t) => {
                if kind == Kind::Race {
                    errors.spanned(
                        t.question_token,
                        "`race!` branches cannot use `?`: the first to finish wins, whatever it \
                         returns. For the first `Ok`, write `race!(ok: a, b)`; to propagate the \
                         winner's error, put `?` after the macro: `race!(a, b)?`",
                    );
                }
                Branch {
                    fut: *t.expr,
                    question: Some(t.question_token),
                }
            }
            fut => Branch {
                fut,
                question: None,
            },
        };
        branches.push(branch);
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }

    if branches.is_empty() {
        let example = if ok {
            "`race!(ok: a, b)`".to_owned()
        } else {
            format!("`{name}(a, b)`")
        };
        let what = if ok {
            "`race!(ok: …)`".to_owned()
        } else {
            format!("`{name}`")
        };
        return Err(errors.fail(syn::Error::new(
            Span::call_site(),
            format!("{what} needs at least one future: {example}"),
        )));
    }
    errors.finish(Join {
        kind,
        krate,
        biased,
        ok,
        timeout,
        branches,
    })
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

impl Branch {
    /// The span errors about this branch's type point at.
    pub(crate) fn span(&self) -> Span {
        self.fut.span()
    }
}
