//! Error helpers shared by the macros.

use std::fmt::Display;

use quote::ToTokens;
use syn::Error;

/// Collects independent errors so that one expansion reports all of them at once, the way
/// serde_derive's `Ctxt` does.
#[derive(Default)]
pub(crate) struct Errors {
    combined: Option<Error>,
}

impl Errors {
    /// An empty collector.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Records `error` next to the ones already collected.
    pub(crate) fn push(&mut self, error: Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(error),
            None => self.combined = Some(error),
        }
    }

    /// Records an error spanning every token of `tokens`.
    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(Error::new_spanned(tokens, message));
    }

    /// Every recorded error followed by `error`, for when checking cannot go on.
    pub(crate) fn fail(self, error: Error) -> Error {
        match self.combined {
            Some(mut combined) => {
                combined.combine(error);
                combined
            }
            None => error,
        }
    }

    /// `Ok(value)` if nothing was recorded, else every recorded error combined.
    pub(crate) fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.combined {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }
}

/// What a function-like macro expands to when its input is rejected: the errors, then an
/// expression of type `!`, so that nothing cascades into the code around the call.
pub(crate) fn error_expression(error: Error) -> proc_macro2::TokenStream {
    let error = error.into_compile_error();
    quote::quote!({ #error; ::core::unreachable!() })
}
