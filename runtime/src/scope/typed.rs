//! The bounds `scope!`'s expansion checks: the error type's `From<goscope::Error>` and
//! the type written on its parameter.

use super::Scope;
use crate::error::Error;

/// The bound `scope!` puts on its error type, with a message that names the fix when it
/// does not hold (the body's `?`, a child's panic and the deadline all convert a
/// [`goscope::Error`](Error) into it).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "the error type of this `scope!` body, `{Self}`, does not implement `From<goscope::Error>`",
    label = "this body returns `Result<_, {Self}>`, and a scope needs `{Self}: From<goscope::Error>`",
    note = "a scope turns its children's panics, cancellations and deadlines into `{Self}`: add `impl From<goscope::Error> for {Self}`, or return `goscope::Error` (or `anyhow::Error`)"
)]
pub trait ScopeError: From<Error> {}

impl<E: From<Error>> ScopeError for E {}

/// The type written on the parameter of `scope!` (`|s: Scope<'_, MyError>|`) must be the
/// scope handle; `scope!` checks it with [`typed`].
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "the parameter of `scope!` is the scope handle, a `goscope::Scope<'_, E>`, not `{Self}`",
    label = "not a `goscope::Scope<'_, E>`",
    note = "write `|s: goscope::Scope<'_, MyError>|` (`MyError` being the scope's error type), or `|s|` to infer it from the body"
)]
pub trait Handle<'env> {
    /// The scope's error type.
    type Error;
}

impl<'env, E> Handle<'env> for Scope<'env, E> {
    type Error = E;
}

/// `scope!(|s: H| …)`: the handle's type is `H` (which names the error type `E`). The
/// handle is a `Scope` whatever `H` is, so a wrong `H` is one error, on `H`, not one more
/// at each use of the handle in the body.
#[doc(hidden)]
pub fn typed<'env, H: Handle<'env, Error = E>, E>(_: &Scope<'env, E>) {}
