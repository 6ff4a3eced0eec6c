//! The walk over a generator's body: each yield becomes an await on the yielder, and
//! yields that cannot work (inside a closure, an `async` block or a nested fn) are errors
//! that say what to do instead.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, Macro};

use crate::error::Errors;

/// What kind of body is walked.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Body {
    /// A `#[generator]` fn: yields are `yield_!(v)`; the `yield` keyword is rejected.
    Fn { sync: bool },
    /// `iter!` / `stream!`: yields are the bare `yield v` (and `yield_!(v)`).
    Block { sync: bool },
}

impl Body {
    fn sync(self) -> bool {
        match self {
            Body::Fn { sync } | Body::Block { sync } => sync,
        }
    }
}

pub(crate) struct Rewriter {
    /// The yielder's name in the expansion.
    co: Ident,
    body: Body,
    /// The nearest enclosing closure, `async` block or nested fn, if any: yields there are
    /// not the generator's.
    inside: Option<&'static str>,
    pub(crate) errors: Errors,
}

/// The last segment of a macro's path, if it is one of ours.
fn our_macro(mac: &Macro) -> Option<&'static str> {
    let last = mac.path.segments.last()?.ident.to_string();
    match last.as_str() {
        "yield_" => Some("yield_!"),
        "yield_from" => Some("yield_from!"),
        _ => None,
    }
}

impl Rewriter {
    pub(crate) fn new(body: Body) -> Self {
        Rewriter {
            co: Ident::new("__goscope_co", Span::mixed_site()),
            body,
            inside: None,
            errors: Errors::new(),
        }
    }

    pub(crate) fn co(&self) -> &Ident {
        &self.co
    }

    fn within(&mut self, what: &'static str, f: impl FnOnce(&mut Self)) {
        let outer = self.inside.replace(what);
        f(self);
        self.inside = outer;
    }

    fn misplaced(&mut self, span: Span, what: &str, inside: &str) {
        let advice = match inside {
            "a closure" => {
                "the closure is not the generator's body. Move the yield out of it (a `for` \
                 loop instead of `for_each`/`map`), or collect first and yield the items"
            }
            "an `async` block" => {
                "the block is a future of its own, not the generator's body. Move the yield \
                 out of it, or await the block and yield what it returns"
            }
            _ => "only the generator's own body yields. Move the yield into it",
        };
        self.errors.push(syn::Error::new(
            span,
            format!("{what} cannot be used inside {inside}: {advice}"),
        ));
    }

    /// `yield_!(v)` → `yield_!(@__goscope co, v)`; `yield_from!(s)` →
    /// `yield_from!(@__goscope co, sync|async, s)`: still the user's macro (so its import
    /// stays used), now told where the yielder is.
    fn rewrite_macro(&mut self, mac: &mut Macro) {
        let Some(name) = our_macro(mac) else {
            return;
        };
        if let Some(inside) = self.inside {
            let span = mac.path.span();
            self.misplaced(span, &format!("`{name}`"), inside);
            // Reported here: the macro itself then expands to nothing, not to its own
            // "outside a generator" error as well.
            let tokens = std::mem::take(&mut mac.tokens);
            mac.tokens = quote!(@__goscope_reported #tokens);
            return;
        }
        let co = &self.co;
        let tokens = std::mem::take(&mut mac.tokens);
        mac.tokens = if name == "yield_!" {
            quote!(@__goscope #co, #tokens)
        } else if self.body.sync() {
            quote!(@__goscope #co, sync, #tokens)
        } else {
            quote!(@__goscope #co, async, #tokens)
        };
    }
}

impl VisitMut for Rewriter {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Closure(_) => {
                self.within("a closure", |this| visit_mut::visit_expr_mut(this, expr))
            }
            Expr::Async(_) => self.within("an `async` block", |this| {
                visit_mut::visit_expr_mut(this, expr)
            }),
            Expr::Await(await_) if self.inside.is_none() && self.body.sync() => {
                let fix = match self.body {
                    Body::Fn { .. } => "make it `async fn … -> AsyncGenerator<T>`",
                    Body::Block { .. } => "use `stream! { … }`, whose body may `.await`",
                };
                self.errors.push(syn::Error::new(
                    await_.await_token.span,
                    format!("a sync generator cannot `.await` (nothing would wake it): {fix}"),
                ));
                visit_mut::visit_expr_mut(self, expr);
            }
            Expr::Yield(yield_) => {
                let span = yield_.yield_token.span;
                match (self.body, self.inside) {
                    (Body::Fn { .. }, _) => self.errors.push(syn::Error::new(
                        span,
                        "write `yield_!(v)` in a `#[generator]` fn: stable Rust rejects the \
                         `yield` keyword there (rustc's error above); the bare `yield` works \
                         in `iter! { … }` and `stream! { … }`",
                    )),
                    (Body::Block { .. }, Some(inside)) => {
                        self.misplaced(span, "`yield`", inside);
                    }
                    (Body::Block { .. }, None) => match yield_.expr.take() {
                        None => self
                            .errors
                            .push(syn::Error::new(span, "`yield` needs a value: `yield v;`")),
                        Some(mut value) => {
                            self.visit_expr_mut(&mut value);
                            let co = &self.co;
                            let tokens: TokenStream = quote_spanned! {span=>
                                #co.yield_(#value).await
                            };
                            *expr = Expr::Verbatim(tokens);
                        }
                    },
                }
            }
            Expr::Macro(mac) => {
                self.rewrite_macro(&mut mac.mac);
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_stmt_macro_mut(&mut self, mac: &mut syn::StmtMacro) {
        self.rewrite_macro(&mut mac.mac);
    }

    fn visit_item_mut(&mut self, item: &mut syn::Item) {
        // A nested `#[generator]` fn is its own generator; its attribute rewrites it.
        if let syn::Item::Fn(f) = item
            && f.attrs.iter().any(|a| {
                a.path()
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "generator")
            })
        {
            return;
        }
        self.within("a nested fn", |this| visit_mut::visit_item_mut(this, item));
    }
}

/// The paths of the `yield_!`/`yield_from!` invocations in a body, as written: a rejected
/// generator's error body mentions them again (expanding to nothing), so that the user's
/// `use goscope::yield_;` is not reported unused on top of the real error.
pub(crate) fn our_macro_paths(block: &syn::Block) -> Vec<syn::Path> {
    struct Paths(Vec<syn::Path>);
    impl syn::visit::Visit<'_> for Paths {
        fn visit_macro(&mut self, mac: &Macro) {
            let written = mac.path.to_token_stream().to_string();
            if our_macro(mac).is_some()
                && !self
                    .0
                    .iter()
                    .any(|p| p.to_token_stream().to_string() == written)
            {
                self.0.push(mac.path.clone());
            }
        }
    }
    let mut paths = Paths(Vec::new());
    syn::visit::Visit::visit_block(&mut paths, block);
    paths.0
}

/// `path!(@__goscope_reported);` for each path: mentions that expand to nothing.
pub(crate) fn mention(paths: &[syn::Path]) -> TokenStream {
    quote!(#(#paths!(@__goscope_reported);)*)
}
