//! `#[go]` input: the options (read by [`options::parse`]), the item AST, their parsers, and every check with its
//! user-facing message.

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, TokenStreamExt, quote};
use syn::parse::{Parse, ParseStream, Parser};
use syn::visit::{self, Visit};
use syn::{
    Abi, AttrStyle, Attribute, Error, Expr, ExprLit, FnArg, Ident, Lifetime, Lit, LitStr,
    ReceiverKind, ReturnType, Signature, Token, TraitBound, Type, TypeReference, Visibility,
    braced, token,
};

use crate::error::Errors;
use crate::options::{self, Spec, Table};

const NOT_A_FN: &str = "`#[go]` can only be applied to a function";
const BORROWED_ARG: &str = "`#[go]` fns cannot take borrowed arguments: the task outlives the \
                            call; take an owned value (`String`, `Vec<T>`, `Arc<T>`)";
const BORROWED_SELF: &str = "`#[go]` methods cannot borrow `self`: the task outlives the call; \
                             take `self: Arc<Self>` or `self`";

/// Parses `#[go(args)]` and the item it is applied to, and checks them.
///
/// Stops at the first syntax error of each; otherwise reports every independent mistake.
pub(crate) fn parse(args: TokenStream, item: TokenStream) -> syn::Result<GoFn> {
    let mut errors = Errors::new();
    let (settings, item) = match (
        Settings::parse(args, &mut errors),
        syn::parse2::<Item>(item),
    ) {
        (Ok(settings), Ok(item)) => (settings, item),
        (Err(mut error), Err(item_error)) => {
            error.combine(item_error);
            return Err(errors.fail(error));
        }
        (Err(error), Ok(_)) | (Ok(_), Err(error)) => return Err(errors.fail(error)),
    };
    match item {
        Item::Fn(item_fn) => {
            let go_fn = check_fn(*item_fn, settings, &mut errors);
            errors.finish(go_fn)
        }
        Item::Other(keywords) => Err(errors.fail(Error::new_spanned(keywords, NOT_A_FN))),
    }
}

// ----------------------------------------------------------------------------- options

/// The options `#[go(…)]` accepts.
const OPTIONS: Table = Table {
    owner: "`#[go]`",
    options: &[
        Spec::flag("blocking"),
        Spec::keyed("name", "\"billing.charge\""),
        Spec::flag("detach"),
    ],
    unknown: None,
};

/// What the options mean, once checked.
#[derive(Default)]
pub(crate) struct Settings {
    /// `blocking`: run a sync fn on the blocking pool.
    pub(crate) blocking: Option<Ident>,
    /// `detach`: fire-and-forget, the wrapper returns `()`.
    pub(crate) detach: Option<Ident>,
    /// `name = "…"`: the task's name instead of the fn's path.
    pub(crate) name: Option<LitStr>,
}

impl Settings {
    /// Parses `#[go(…)]`'s input, recording every unknown, repeated or malformed option in
    /// `errors`; `Err` for a syntax error.
    fn parse(args: TokenStream, errors: &mut Errors) -> syn::Result<Self> {
        let parser = |input: ParseStream<'_>| {
            options::parse(input, &OPTIONS, |input| !input.is_empty(), errors)
        };
        let mut options = parser.parse2(args)?;
        let name = options
            .take("name")
            .and_then(|expr| check_name(expr, errors));
        Ok(Self {
            blocking: options.flag("blocking"),
            detach: options.flag("detach"),
            name,
        })
    }
}

/// Checks the value of `name = …`: a non-empty string literal.
fn check_name(expr: Expr, errors: &mut Errors) -> Option<LitStr> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(name),
            ..
        }) if name.value().trim().is_empty() => {
            errors.spanned(
                name,
                "`name` cannot be empty; write a name, e.g. `name = \"billing.charge\"`",
            );
            None
        }
        Expr::Lit(ExprLit {
            lit: Lit::Str(name),
            ..
        }) => Some(name),
        _ => {
            errors.spanned(
                expr,
                "`name` expects a string literal, e.g. `name = \"billing.charge\"`",
            );
            None
        }
    }
}

// -------------------------------------------------------------------------------- item

/// The item `#[go]` is applied to.
pub(crate) enum Item {
    /// A fn, with a body or (in a trait) without.
    Fn(Box<ItemFn>),
    /// Anything else; holds its leading keyword(s), where the error points.
    Other(TokenStream),
}

/// A fn as written.
pub(crate) struct ItemFn {
    /// Outer attributes and doc comments.
    pub(crate) attrs: Vec<Attribute>,
    /// `pub`, `pub(crate)`, …
    pub(crate) vis: Visibility,
    /// `default` (specialization) in an impl.
    pub(crate) defaultness: Option<Token![default]>,
    /// Everything from `const`/`async`/`fn` to the where clause.
    pub(crate) sig: Signature,
    /// The block, or the `;` of a trait method declaration.
    pub(crate) body: Body,
}

/// A fn's body.
pub(crate) enum Body {
    /// `{ #![inner] statements }`; the statements stay unparsed tokens.
    Block {
        /// `#![…]` attributes at the top of the block.
        inner_attrs: Vec<Attribute>,
        /// The statements, untouched.
        stmts: TokenStream,
    },
    /// The `;` of a trait method declaration.
    Semi(Token![;]),
}

impl Parse for Item {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        if !peek_fn(input) {
            return leading_keywords(input).map(Item::Other);
        }
        let defaultness = input.parse()?;
        let sig = input.parse()?;
        let lookahead = input.lookahead1();
        let body = if lookahead.peek(token::Brace) {
            let content;
            braced!(content in input);
            Body::Block {
                inner_attrs: content.call(Attribute::parse_inner)?,
                stmts: content.parse()?,
            }
        } else if lookahead.peek(Token![;]) {
            Body::Semi(input.parse()?)
        } else {
            return Err(lookahead.error());
        };
        Ok(Item::Fn(Box::new(ItemFn {
            attrs,
            vis,
            defaultness,
            sig,
            body,
        })))
    }
}

/// Whether `input` starts a fn: `default? const? async? unsafe? (extern "abi")? fn`.
fn peek_fn(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    fork.parse::<Option<Token![default]>>().is_ok()
        && fork.parse::<Option<Token![const]>>().is_ok()
        && fork.parse::<Option<Token![async]>>().is_ok()
        && fork.parse::<Option<Token![unsafe]>>().is_ok()
        && fork.parse::<Option<Abi>>().is_ok()
        && fork.peek(Token![fn])
}

/// Consumes a non-fn item; returns the keyword(s) that say what it is: `struct`, `impl`,
/// `unsafe impl`, `extern crate`, `auto trait`, …
fn leading_keywords(input: ParseStream<'_>) -> syn::Result<TokenStream> {
    let mut keywords = TokenStream::new();
    let first: TokenTree = input.parse()?;
    let modifier = matches!(&first, TokenTree::Ident(ident)
        if ["unsafe", "extern", "auto", "default"].iter().any(|m| ident == m));
    keywords.append(first);
    if modifier && !input.is_empty() {
        keywords.append(input.parse::<TokenTree>()?);
    }
    input.parse::<TokenStream>()?;
    Ok(keywords)
}

// ------------------------------------------------------------------------------ checks

/// A `#[go]` fn that passed every check: what `expand` turns into the wrapper.
pub(crate) struct GoFn {
    /// `#[go(blocking)]`: the body is sync and runs on the blocking pool.
    pub(crate) blocking: bool,
    /// `#[go(detach)]`: the wrapper detaches the task and returns `()`.
    pub(crate) detach: bool,
    /// `#[go(name = "…")]`.
    pub(crate) name: Option<LitStr>,
    /// Outer attributes, then the body's inner attributes turned into outer ones.
    pub(crate) attrs: Vec<Attribute>,
    /// The fn's visibility.
    pub(crate) vis: Visibility,
    /// `default` (specialization).
    pub(crate) defaultness: Option<Token![default]>,
    /// The signature as written (`async` still there for an async fn).
    pub(crate) sig: Signature,
    /// The body's statements.
    pub(crate) stmts: TokenStream,
}

/// Checks `item` against `settings`, recording every mistake in `errors`.
fn check_fn(item: ItemFn, settings: Settings, errors: &mut Errors) -> GoFn {
    let ItemFn {
        mut attrs,
        vis,
        defaultness,
        sig,
        body,
    } = item;
    check_signature(&sig, &settings, errors);
    let stmts = match body {
        Body::Block { inner_attrs, stmts } => {
            attrs.extend(inner_attrs.into_iter().map(|mut attr| {
                attr.style = AttrStyle::Outer;
                attr
            }));
            stmts
        }
        Body::Semi(semi) => {
            errors.spanned(
                semi,
                "`#[go]` needs a function body; a trait method declaration has none: \
                 put `#[go]` on the impl's method",
            );
            TokenStream::new()
        }
    };
    GoFn {
        blocking: settings.blocking.is_some(),
        detach: settings.detach.is_some(),
        name: settings.name,
        attrs,
        vis,
        defaultness,
        sig,
        stmts,
    }
}

/// Checks the qualifiers, the arguments and the return type.
fn check_signature(sig: &Signature, settings: &Settings, errors: &mut Errors) {
    if let Some(const_token) = &sig.constness {
        errors.spanned(
            const_token,
            "`#[go]` cannot be applied to a `const fn`: starting a task is a runtime effect; \
             remove `const`",
        );
    }
    match (&sig.asyncness, &settings.blocking) {
        (Some(async_token), Some(_)) => errors.spanned(
            async_token,
            "`#[go(blocking)]` runs a sync fn on the blocking pool; remove `async` or remove \
             `blocking`",
        ),
        (None, None) => errors.spanned(
            sig.fn_token,
            "`#[go]` needs an `async fn`; add `async` or write `#[go(blocking)]`",
        ),
        _ => {}
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(
            abi,
            "`#[go]` cannot be applied to an `extern` fn: a `Task` cannot cross an FFI \
             boundary; remove the `extern` ABI",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(
            variadic.dots,
            "`#[go]` fns cannot be variadic: every argument is moved into the task; \
             remove `...`",
        );
    }
    for arg in &sig.inputs {
        check_arg(arg, errors);
    }
    if settings.detach.is_some()
        && let ReturnType::Type(_, ty) = &sig.output
        && !matches!(&**ty, Type::Tuple(tuple) if tuple.elems.is_empty())
    {
        errors.spanned(
            ty,
            "`#[go(detach)]` needs a fn that returns `()`: nobody receives a detached \
             task's result; handle the value inside or remove `detach`",
        );
    }
}

/// Checks that an argument moves an owned value into the task.
fn check_arg(arg: &FnArg, errors: &mut Errors) {
    match arg {
        FnArg::Receiver(receiver) => match &receiver.kind {
            ReceiverKind::Value => {}
            ReceiverKind::Typed(_, ty) => {
                if let Some(borrow) = find_borrow(ty) {
                    errors.spanned(borrow, BORROWED_SELF);
                }
            }
            ReceiverKind::Reference(and_token, lifetime, mutability) => {
                let self_token = receiver.self_token;
                errors.spanned(
                    quote!(#and_token #lifetime #mutability #self_token),
                    BORROWED_SELF,
                );
            }
            // Receivers syn may learn later (`&pin mut self`) borrow too.
            _ => errors.spanned(receiver, BORROWED_SELF),
        },
        FnArg::Typed(pat_type) => {
            if let Some(borrow) = find_borrow(&pat_type.ty) {
                errors.spanned(borrow, BORROWED_ARG);
            }
        }
    }
}

/// The first borrow in `ty`: a `&` or a lifetime other than `'static` (or one bound by
/// `for<'a>`); `&'static T` is fine. Fn pointers and `Fn(&T)` sugar are skipped: their `&`s borrow only for
/// the duration of a call.
fn find_borrow(ty: &Type) -> Option<TokenStream> {
    let mut finder = BorrowFinder {
        higher_ranked: Vec::new(),
        found: None,
    };
    finder.visit_type(ty);
    finder.found
}

/// Walks a type for [`find_borrow`].
struct BorrowFinder {
    /// Lifetimes bound by an enclosing `for<'a>`.
    higher_ranked: Vec<Lifetime>,
    /// The first borrow's tokens, where the error points.
    found: Option<TokenStream>,
}

impl<'ast> Visit<'ast> for BorrowFinder {
    fn visit_type(&mut self, ty: &'ast Type) {
        if self.found.is_none() {
            visit::visit_type(self, ty);
        }
    }

    fn visit_type_reference(&mut self, reference: &'ast TypeReference) {
        match &reference.lifetime {
            Some(lifetime) if lifetime.ident == "static" => self.visit_type(&reference.elem),
            _ => self.found = Some(reference.and_token.to_token_stream()),
        }
    }

    fn visit_lifetime(&mut self, lifetime: &'ast Lifetime) {
        if self.found.is_none()
            && lifetime.ident != "static"
            && !self.higher_ranked.contains(lifetime)
        {
            self.found = Some(lifetime.to_token_stream());
        }
    }

    fn visit_type_fn_ptr(&mut self, _: &'ast syn::TypeFnPtr) {}

    fn visit_parenthesized_generic_arguments(
        &mut self,
        _: &'ast syn::ParenthesizedGenericArguments,
    ) {
    }

    fn visit_trait_bound(&mut self, bound: &'ast TraitBound) {
        let depth = self.higher_ranked.len();
        if let Some(bound_lifetimes) = &bound.lifetimes {
            for param in &bound_lifetimes.lifetimes {
                if let syn::GenericParam::Lifetime(param) = param {
                    self.higher_ranked.push(param.lifetime.clone());
                }
            }
        }
        visit::visit_trait_bound(self, bound);
        self.higher_ranked.truncate(depth);
    }
}
