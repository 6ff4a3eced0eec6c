// The crate docs are the README: `runtime/README.md` is a link to the root one, so that
// one text serves GitHub, crates.io and docs.rs, and `cargo package` ships it.
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![deny(missing_debug_implementations)]

mod block_on;
pub mod chan;
mod error;
mod generator;
pub mod helpers;
mod join;
pub mod manager;
mod panic;
pub mod scope;
pub mod select;
mod sync;
mod task;
mod time;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use error::Error;
pub use generator::{AsyncGenerator, Co, Generator, Yield};
pub use helpers::{
    Limiter, Pool, RateLimiter, WaitGroup, for_each, go_for_each, map, map_stream,
    map_stream_unordered, retry, try_for_each, try_map,
};
pub use join::{Timeout, all, race, race_ok, settle, timeout, try_all};
pub use panic::{PanicError, PanicLocation, PanicPayload, clear_panic_hook, set_panic_hook};
pub use scope::{Scope, ScopedTask, cancelled};
pub use task::{Task, TaskTimeout, go, go_blocking, go_ctx, go_with_recover};
pub use time::{After, after};

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
/// Calling the function outside a Tokio runtime panics, like [`go`](fn@go).
///
/// Borrowed arguments are rejected at compile time, with a message naming the fix:
///
/// ```compile_fail
/// #[goscope::go]
/// async fn greet(name: &str) -> usize { name.len() }
/// ```
pub use goscope_macros::go;

/// Makes a fn whose body yields into a lazy iterator (`fn … -> Generator<T>`) or a lazy
/// stream (`async fn … -> AsyncGenerator<T>`, whose body may `.await`). The body yields
/// with [`yield_!`](crate::yield_!)`(v)` and delegates with
/// [`yield_from!`](crate::yield_from!)`(other)`.
///
/// ```text
/// #[generator] fn f(args…) -> Generator<T> { … yield_!(v); … }                 // Iterator
/// #[generator] async fn f(args…) -> AsyncGenerator<T> { … x.await; yield_!(v); … } // Stream
/// #[generator] fn f<'a>(s: &'a str) -> Generator<'a, T> { … }                 // borrows
/// #[generator] fn f(…) -> Generator<Result<U, E>> { … let x = g()?; … }       // `?`
/// ```
///
/// Nothing runs until the first item is asked for. Arguments are moved into the
/// generator; one that borrows makes the generator borrow it too (the lifetime is `'_`
/// when one argument borrows; name it, `Generator<'a, T>`, when several do). With an item
/// type `Result<U, E>` the body may use `?`: the `Err` is yielded as the last item (end
/// such a body early with `return Ok(())`). A `return` ends the generator.
///
/// Stable Rust rejects the `yield` keyword inside an item given to an attribute macro, so
/// the fn body writes `yield_!(v)`; `iter! { … }` and `stream! { … }` take the bare
/// `yield v;`.
///
/// ```
/// use goscope::{Generator, generator, yield_};
///
/// #[generator]
/// fn words(text: &str) -> Generator<'_, &str> {
///     for word in text.split_whitespace() {
///         yield_!(word);
///     }
/// }
///
/// #[generator]
/// fn parsed(lines: Vec<&'static str>) -> Generator<Result<u32, std::num::ParseIntError>> {
///     for line in lines {
///         yield_!(Ok(line.parse()?)); // the first bad line is yielded as Err and ends it
///     }
/// }
///
/// assert_eq!(words("to be or").collect::<Vec<_>>(), ["to", "be", "or"]);
/// let out: Vec<_> = parsed(vec!["1", "x", "3"]).collect();
/// assert_eq!(out.len(), 2);
/// assert!(out[1].is_err());
/// ```
pub use goscope_macros::generator;
