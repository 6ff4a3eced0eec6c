//! `#[go]`: its docs (the attribute is `goscope_macros::go`).

#[cfg(doc)]
use crate::{PanicError, Task};

/// Starts an `async fn` as a task each time it is called: the call returns a
/// [`Task<T>`](Task) at once.
///
/// ```text
/// #[go]                          async fn f(args…) -> T { … }   // fn f(args…) -> Task<T>
/// #[go(blocking)]                fn f(args…) -> T { … }         // on the blocking pool
/// #[go(name = "billing.charge")] async fn f(…) -> T { … }       // name in PanicError / tracing
/// #[go(detach)]                  async fn f(…) { … }            // fire-and-forget: returns ()
/// ```
///
/// Arguments are moved into the task, so they must be owned (`String`, `Vec<T>`,
/// `Arc<T>`) and the future `Send + 'static`; methods take `self` or `self: Arc<Self>`.
/// The task's name defaults to the function's path (`module::fetch_user`); the spawn
/// location recorded in a [`PanicError`] is the caller of the function.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// struct Service { base: u64 }
///
/// impl Service {
///     #[goscope::go]
///     async fn score(self: Arc<Self>, user: u64) -> u64 {
///         self.base + user
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goscope::Error> {
/// let svc = Arc::new(Service { base: 40 });
/// assert_eq!(svc.clone().score(2).await?, 42);
/// # Ok(())
/// # }
/// ```
///
/// # Expansion
///
/// ```text
/// #[go] async fn fetch_user(id: u64) -> User { body }
/// // becomes
/// #[track_caller]
/// fn fetch_user(id: u64) -> Task<User> {
///     spawn::<User, _>(&concat!(module_path!(), "::", "fetch_user"), async move {
///         // fixes the block's output type, as an `async fn`'s signature does
///         if let Option::Some(__goscope_output) = Option::<User>::None {
///             return __goscope_output;
///         }
///         let id = id; // each argument is moved into the task
///         body
///     })
/// }
/// ```
///
/// # Cancellation
///
/// Dropping the returned [`Task`] cancels the task; `#[go(detach)]` detaches it.
///
/// # Panics
///
/// Calling the function outside a Tokio runtime panics, like [`go`](fn@crate::go).
///
/// Borrowed arguments are rejected at compile time, with a message naming the fix:
///
/// ```compile_fail
/// #[goscope::go]
/// async fn greet(name: &str) -> usize { name.len() }
/// ```
pub use goscope_macros::go;
