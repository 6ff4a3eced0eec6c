//! The options a macro takes before its main input: comma-separated flags (`blocking`) and
//! keyed options (`timeout = d`), as in `#[go(blocking, name = "…")]`,
//! `scope!(timeout = d, limit = 4, supervise, |s| { … })` and `race!(timeout = d, a, b)`.
//!
//! Each macro describes what it accepts in a [`Table`]; [`parse`] reads the options against
//! it and words every mistake the same way for all of them:
//!
//! - a repeated option: "duplicate `timeout` option; remove one", on the repetition;
//! - an unknown one: "unknown `scope!` option `deadline`; expected `timeout = …`, `limit = …`
//!   or `supervise`", unless the table has something better to say;
//! - a flag given a value: "`supervise` takes no value; write just `supervise`";
//! - a keyed option without one: "`limit` needs a value: `limit = 4`".
//!
//! Those are recorded in the caller's [`Errors`] and parsing goes on; only a syntax error
//! (an option that is not a name, a value that is not an expression) stops it.

use proc_macro2::{Group, TokenStream};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::{Expr, Ident, Token, token};

use crate::error::Errors;

/// The options one macro accepts.
pub(crate) struct Table {
    /// The macro, as messages name it: "`#[go]`", "`scope!`".
    pub(crate) owner: &'static str,
    /// Every option, in the order messages list them.
    pub(crate) options: &'static [Spec],
    /// The message for an unknown option, given its name, when the macro has more to say
    /// than the list of what it accepts (`all!`, which takes none).
    pub(crate) unknown: Option<fn(&str) -> String>,
}

/// One option of a [`Table`].
pub(crate) struct Spec {
    /// Its name: `timeout`.
    pub(crate) name: &'static str,
    /// `None` for a flag; for a keyed option, an example value that the "needs a value"
    /// message shows: `Duration::from_secs(5)`.
    pub(crate) example: Option<&'static str>,
}

impl Spec {
    /// A flag: `supervise`.
    pub(crate) const fn flag(name: &'static str) -> Self {
        Self {
            name,
            example: None,
        }
    }

    /// A keyed option, `name = value`, with an example value.
    pub(crate) const fn keyed(name: &'static str, example: &'static str) -> Self {
        Self {
            name,
            example: Some(example),
        }
    }
}

impl Table {
    /// What the macro accepts, for messages: "`timeout = …`, `limit = …` or `supervise`".
    fn expected(&self) -> String {
        let mut list = String::new();
        for (index, spec) in self.options.iter().enumerate() {
            if index > 0 {
                list.push_str(if index + 1 == self.options.len() {
                    " or "
                } else {
                    ", "
                });
            }
            list.push_str(&match spec.example {
                Some(_) => format!("`{} = …`", spec.name),
                None => format!("`{}`", spec.name),
            });
        }
        list
    }

    /// The message for the unknown option `key`.
    fn unknown(&self, key: &str) -> String {
        match self.unknown {
            Some(message) => message(key),
            None if self.options.is_empty() => {
                format!("unknown {} option `{key}`; it takes no options", self.owner)
            }
            None => format!(
                "unknown {} option `{key}`; expected {}",
                self.owner,
                self.expected()
            ),
        }
    }

    fn spec(&self, key: &str) -> Option<&Spec> {
        self.options.iter().find(|spec| spec.name == key)
    }
}

/// The options that were given, each once (by its first occurrence), checked against the
/// table: what a macro reads its settings from.
pub(crate) struct Options {
    /// Each option's name (unraw), its key as written, and its value.
    given: Vec<(String, Ident, Option<Expr>)>,
}

impl Options {
    /// The flag `name`'s key, if it was given (even with a value, which is an error already
    /// recorded: the rest of the input is checked as the user meant it).
    pub(crate) fn flag(&self, name: &str) -> Option<Ident> {
        self.given
            .iter()
            .find(|(given, _, _)| given == name)
            .map(|(_, key, _)| key.clone())
    }

    /// The value of the keyed option `name`, if it was given with one.
    pub(crate) fn take(&mut self, name: &str) -> Option<Expr> {
        self.given
            .iter_mut()
            .find(|(given, _, _)| given == name)
            .and_then(|(_, _, value)| value.take())
    }
}

/// One option as written: a key, maybe followed by `= value` or a delimited group.
struct Entry {
    key: Ident,
    value: EntryValue,
}

/// What follows an option's key.
enum EntryValue {
    /// Nothing: `blocking`.
    Bare,
    /// `= value`; `None` for a dangling `limit =`.
    Assign(Token![=], Option<Expr>),
    /// A delimited group, as in `name("…")`: never accepted.
    Group(Group),
}

/// Reads options while `more(input)` says one comes next, each followed by a comma unless
/// it ends the input; records every mistake in `errors`.
///
/// `more` is where the options end: at the end of `#[go(…)]`'s input, at `scope!`'s `|s|`,
/// at `race!`'s first branch.
pub(crate) fn parse(
    input: ParseStream<'_>,
    table: &Table,
    more: fn(ParseStream<'_>) -> bool,
    errors: &mut Errors,
) -> syn::Result<Options> {
    let mut options = Options { given: Vec::new() };
    while more(input) {
        let entry = parse_entry(input, table)?;
        check(entry, table, &mut options, errors);
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(options)
}

fn parse_entry(input: ParseStream<'_>, table: &Table) -> syn::Result<Entry> {
    if !input.peek(Ident::peek_any) {
        return Err(input.error(format!("expected {}", table.expected())));
    }
    let key = input.call(Ident::parse_any)?;
    let value = if input.peek(Token![=]) {
        let eq_token = input.parse()?;
        let expr = if input.is_empty() || input.peek(Token![,]) {
            None
        } else {
            Some(input.parse()?)
        };
        EntryValue::Assign(eq_token, expr)
    } else if input.peek(token::Paren) || input.peek(token::Bracket) || input.peek(token::Brace) {
        EntryValue::Group(input.parse()?)
    } else {
        EntryValue::Bare
    };
    Ok(Entry { key, value })
}

/// Checks one option against `table` and, if it is one the macro takes and the first of
/// its name, keeps it in `options`.
fn check(entry: Entry, table: &Table, options: &mut Options, errors: &mut Errors) {
    let key = entry.key.unraw().to_string();
    let Some(spec) = table.spec(&key) else {
        return errors.push(syn::Error::new(entry.key.span(), table.unknown(&key)));
    };
    if options.given.iter().any(|(given, _, _)| *given == key) {
        return errors.spanned(&entry, format!("duplicate `{key}` option; remove one"));
    }
    let value = match (spec.example, entry.value) {
        (None, EntryValue::Bare) => None,
        (None, value) => {
            errors.spanned(
                &value,
                format!("`{key}` takes no value; write just `{key}`"),
            );
            None
        }
        (Some(_), EntryValue::Assign(_, Some(expr))) => Some(expr),
        (Some(example), value) => {
            let written = &entry.key;
            errors.spanned(
                quote!(#written #value),
                format!("`{key}` needs a value: `{key} = {example}`"),
            );
            None
        }
    };
    options.given.push((key, entry.key, value));
}

impl ToTokens for Entry {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.key.to_tokens(tokens);
        self.value.to_tokens(tokens);
    }
}

impl ToTokens for EntryValue {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Self::Bare => {}
            Self::Assign(eq_token, expr) => {
                eq_token.to_tokens(tokens);
                expr.to_tokens(tokens);
            }
            Self::Group(group) => group.to_tokens(tokens),
        }
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;
    use syn::parse::Parser;

    use super::{Options, Spec, Table, parse};
    use crate::error::Errors;

    const TABLE: Table = Table {
        owner: "`m!`",
        options: &[Spec::keyed("timeout", "d"), Spec::flag("fast")],
        unknown: None,
    };

    /// The options, or every message, for `tokens` read to the end.
    fn run(tokens: TokenStream) -> Result<Options, Vec<String>> {
        let mut errors = Errors::new();
        let parsed = (|input: syn::parse::ParseStream<'_>| {
            parse(input, &TABLE, |input| !input.is_empty(), &mut errors)
        })
        .parse2(tokens);
        let result = match parsed {
            Ok(options) => errors.finish(options),
            Err(error) => Err(errors.fail(error)),
        };
        result.map_err(|error| error.into_iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn flags_and_values_are_read() {
        let Ok(mut options) = run(quote!(fast, timeout = a + b,)) else {
            panic!("rejected");
        };
        assert!(options.flag("fast").is_some());
        let timeout = options.take("timeout").map(|e| quote!(#e).to_string());
        assert_eq!(timeout.as_deref(), Some("a + b"));
        assert!(run(quote!(r#fast)).is_ok_and(|o| o.flag("fast").is_some()));
    }

    #[test]
    fn every_mistake_has_one_wording_and_all_are_reported() {
        let Err(messages) = run(quote!(fast = 1, timeout, slow, timeout = x, fast, timeout =))
        else {
            panic!("accepted");
        };
        assert_eq!(
            messages,
            [
                "`fast` takes no value; write just `fast`",
                "`timeout` needs a value: `timeout = d`",
                "unknown `m!` option `slow`; expected `timeout = …` or `fast`",
                "duplicate `timeout` option; remove one",
                "duplicate `fast` option; remove one",
                "duplicate `timeout` option; remove one",
            ]
        );
    }

    #[test]
    fn a_group_is_no_value() {
        assert_eq!(
            run(quote!(timeout(d), fast[1])).err().unwrap_or_default(),
            [
                "`timeout` needs a value: `timeout = d`",
                "`fast` takes no value; write just `fast`",
            ]
        );
    }

    #[test]
    fn a_non_name_stops_with_the_list() {
        assert_eq!(
            run(quote!(fast, "x")).err().unwrap_or_default(),
            ["expected `timeout = …` or `fast`"]
        );
    }
}
