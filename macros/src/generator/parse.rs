//! `#[generator]` input: the fn, its return type, and every check on them.
//!
//! ```text
//! #[generator] fn name(args…) -> Generator<['a,] T> { body }
//! #[generator] async fn name(args…) -> AsyncGenerator<['a,] T> { body }
//! ```

use proc_macro2::TokenStream;
use syn::spanned::Spanned;
use syn::{GenericArgument, ItemFn, Lifetime, PathArguments, ReturnType, Type};

/// The two kinds of generator fn.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// `fn … -> Generator<T>`.
    Sync,
    /// `async fn … -> AsyncGenerator<T>`.
    Async,
}

/// A checked `#[generator]` fn.
pub(crate) struct GeneratorFn {
    pub(crate) item: ItemFn,
    pub(crate) kind: Kind,
    /// The lifetime written in the return type, if any.
    pub(crate) lifetime: Option<Lifetime>,
    /// The item type.
    pub(crate) item_type: Type,
}

const SHAPE: &str = "a generator returns `Generator<T>` (a sync `fn`) or `AsyncGenerator<T>` \
                     (an `async fn`), where `T` is the item type";

pub(crate) fn parse(args: TokenStream, item: TokenStream) -> syn::Result<GeneratorFn> {
    if !args.is_empty() {
        return Err(syn::Error::new_spanned(
            args,
            "`#[generator]` takes no options: write `#[generator]`",
        ));
    }
    let item: ItemFn = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            let item: syn::Item = syn::parse2(item)?;
            return Err(syn::Error::new(
                item_span(&item),
                "`#[generator]` goes on a fn: `#[generator] fn numbers() -> Generator<u32> { … }`",
            ));
        }
    };
    let ReturnType::Type(_, ty) = &item.sig.output else {
        return Err(syn::Error::new(
            item.sig.ident.span(),
            format!(
                "missing the return type; {SHAPE}: `fn {}(…) -> Generator<u32>`",
                item.sig.ident
            ),
        ));
    };
    let Some((name, lifetime, item_type)) = generator_type(ty) else {
        return Err(syn::Error::new_spanned(
            ty,
            format!("`#[generator]` cannot return this type; {SHAPE}"),
        ));
    };
    let kind = match (name.as_str(), item.sig.asyncness) {
        ("Generator", None) => Kind::Sync,
        ("AsyncGenerator", Some(_)) => Kind::Async,
        ("Generator", Some(asyncness)) => {
            return Err(syn::Error::new(
                asyncness.span().join(ty.span()).unwrap_or(asyncness.span()),
                "an `async fn` generator returns `AsyncGenerator<T>` (a stream); for a sync \
                 `Generator<T>` (an iterator), drop the `async`",
            ));
        }
        _ => {
            return Err(syn::Error::new_spanned(
                ty,
                "a sync fn generator returns `Generator<T>` (an iterator); for an \
                 `AsyncGenerator<T>` (a stream, whose body may `.await`), make it an `async fn`",
            ));
        }
    };
    Ok(GeneratorFn {
        item,
        kind,
        lifetime,
        item_type,
    })
}

/// `Generator<['a,] T>` or `AsyncGenerator<['a,] T>` (any path ending so): the name, the
/// lifetime and the item type.
fn generator_type(ty: &Type) -> Option<(String, Option<Lifetime>, Type)> {
    let Type::Path(path) = ty else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    let name = last.ident.to_string();
    if name != "Generator" && name != "AsyncGenerator" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut lifetime = None;
    let mut item = None;
    for arg in &args.args {
        match arg {
            GenericArgument::Lifetime(l) if lifetime.is_none() && item.is_none() => {
                lifetime = Some(l.clone());
            }
            GenericArgument::Type(t) if item.is_none() => item = Some(t.clone()),
            _ => return None,
        }
    }
    Some((name, lifetime, item?))
}

fn item_span(item: &syn::Item) -> proc_macro2::Span {
    match item {
        syn::Item::Struct(s) => s.struct_token.span,
        syn::Item::Enum(e) => e.enum_token.span,
        syn::Item::Impl(i) => i.impl_token.span,
        syn::Item::Trait(t) => t.trait_token.span,
        syn::Item::Mod(m) => m.mod_token.span,
        syn::Item::Const(c) => c.const_token.span,
        syn::Item::Static(s) => s.static_token.span,
        other => other.span(),
    }
}

/// A rejected generator fn's signature, made to compile around the error: not `async`, and
/// a `Generator<T>`/`AsyncGenerator<T>` return type given the lifetime it lacks.
pub(crate) fn quiet_signature(mut sig: syn::Signature) -> syn::Signature {
    sig.asyncness = None;
    if let ReturnType::Type(_, ty) = &mut sig.output
        && let Some((_, None, item_type)) = generator_type(ty)
        && let Type::Path(path) = &mut **ty
        && let Some(last) = path.path.segments.last_mut()
    {
        let lifetime = Lifetime::new("'static", item_type.span());
        last.arguments = generator_arguments(lifetime, item_type);
    }
    sig
}

/// `<'lifetime, ItemType>`, built directly (no re-parse that could fail).
pub(crate) fn generator_arguments(lifetime: Lifetime, item_type: Type) -> PathArguments {
    PathArguments::AngleBracketed(syn::AngleBracketedGenericArguments {
        colon2_token: None,
        lt_token: Default::default(),
        args: [
            GenericArgument::Lifetime(lifetime),
            GenericArgument::Type(item_type),
        ]
        .into_iter()
        .collect(),
        gt_token: Default::default(),
    })
}
