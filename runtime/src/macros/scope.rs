//! `scope!`: its docs and the `macro_rules!` wrapper that hands `$crate` to the proc macro.

#[cfg(doc)]
use crate::{Scope, ScopedTask};

/// Runs a block of concurrent children that cannot outlive it: structured concurrency.
///
/// ```text
/// scope!(|s| { body })                         // the body is async: Result<T, E>
/// scope!(timeout = d, limit = n, |s| { body }) // a deadline; at most n children at once
/// scope!(supervise, |s| { body })              // no fail-fast: failures stay in handles
/// scope!(|s: Scope<'_, MyError>| { body })     // the error type, named on the parameter
/// ```
///
/// Inside, `s` is the [`Scope`]: `s.spawn(fut)` starts a `'static` child in parallel,
/// `s.adopt(task)` makes a running [`Task`](crate::Task) (a `#[go]` function's) a child
/// ([`Scope::adopt`]), `s.spawn_local(fut)` a child that may borrow from the caller
/// (polled by the scope's own future), `s.spawn_blocking(f)` a blocking child; each
/// returns a [`ScopedTask`] that resolves to the child's own `Result<T, E>`. Children
/// return `Result<_, E>` with `E: From<goscope::Error>`. `scope!` awaits, so it belongs in
/// async code.
///
/// - Every child has finished, or been cancelled and dropped, before `scope!` returns.
/// - The first failure — a child's `Err`, a child's panic (as `Error::Panicked`), or the
///   body's `Err` — cancels every other child and the body (unless the body awaits the
///   failing child's handle and takes the error itself), and is what `scope!` returns.
/// - Dropping the future that contains the `scope!` cancels every child; `'static`
///   children's tasks are aborted.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goscope::Error> {
/// use goscope::{Error, scope};
///
/// let names = vec!["ada".to_owned(), "grace".to_owned()];
/// let (total, lengths) = scope!(|s| {
///     let total = s.spawn(async { Ok::<_, Error>(40 + 2) });       // in parallel
///     let lengths = s.spawn_local(async { Ok(names.iter().map(String::len).sum::<usize>()) }); // borrows
///     Ok((total.await?, lengths.await?))
/// })?;
/// assert_eq!((total, lengths), (42, 8));
/// # Ok(())
/// # }
/// ```
///
/// The first failure cancels the rest and is the result:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use goscope::{Error, scope};
///
/// #[derive(Debug, PartialEq)]
/// enum AppError { NotFound, Runtime }
/// impl From<Error> for AppError {
///     fn from(_: Error) -> Self { AppError::Runtime }
/// }
///
/// let result: Result<(), AppError> = scope!(|s| {
///     s.spawn(async {
///         tokio::time::sleep(Duration::from_secs(3600)).await; // cancelled
///         Ok(())
///     });
///     s.spawn(async { Err::<(), _>(AppError::NotFound) });
///     Ok(())
/// });
/// assert_eq!(result, Err(AppError::NotFound));
/// # }
/// ```
///
/// # Naming the error type
///
/// The scope's error type `E` is inferred. Where nothing fixes it — the result goes
/// straight into `?`, which converts to any type — rustc asks for an annotation (E0283,
/// "type annotations needed"). There are three ways to give it:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), goscope::Error> {
/// use goscope::{Error, Scope, scope};
///
/// // 1. From the body: a `?` or a return value of a known type.
/// let a = scope!(|s| {
///     let x = s.spawn(async { Ok(1) });
///     Ok::<_, Error>(x.await?)
/// })?;
///
/// // 2. On the result.
/// let b: Result<u32, Error> = scope!(|s| {
///     let y = s.spawn(async { Ok(2) });
///     Ok(y.await?)
/// });
///
/// // 3. On the closure parameter, the form rustc's hint suggests: the result can go
/// //    straight into `?`. (`goscope::Scope` is the handle's type.)
/// let c = scope!(|s: Scope<'_, Error>| {
///     let z = s.spawn(async { Ok(3) });
///     Ok(z.await?)
/// })?;
/// assert_eq!(a + b? + c, 6);
/// # Ok(())
/// # }
/// ```
///
/// A parameter of another type is one error, on that type: "the parameter of `scope!` is
/// the scope handle, a `goscope::Scope<'_, E>`, not `Vec<u8>`".
///
/// # Options
///
/// - `timeout = d`: a deadline for the whole scope; when it passes, the body is dropped,
///   every child cancelled, and the scope returns `Error::TimedOut(d)` converted into `E`.
/// - `limit = n`: at most `n` children run at once; the others wait for a slot in spawn
///   order, and are dropped unstarted if the scope is cancelled meanwhile.
/// - `supervise`: no fail-fast; each child's failure stays in its handle, nothing is
///   cancelled, and the scope returns the body's result once every child is done.
///
/// ## A request handler: three fetches as a unit
///
/// A page needs the user, their recent orders and some recommendations. Fetched in
/// parallel, the handler is as slow as the slowest call; if one fails there is no page,
/// so the others are cancelled at once, and none keeps running after the handler returns.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use goscope::{Error, scope};
///
/// #[derive(Debug, PartialEq)]
/// enum PageError { Backend(&'static str), Runtime(String) }
/// impl From<Error> for PageError {
///     fn from(e: Error) -> Self { PageError::Runtime(e.to_string()) }
/// }
///
/// async fn user(id: u64) -> Result<String, PageError> {
///     tokio::time::sleep(Duration::from_millis(30)).await;
///     Ok(format!("user-{id}"))
/// }
/// async fn orders(id: u64) -> Result<Vec<u32>, PageError> {
///     tokio::time::sleep(Duration::from_millis(50)).await;
///     if id == 0 { Err(PageError::Backend("orders service down")) } else { Ok(vec![7, 9]) }
/// }
/// async fn recommendations(_id: u64) -> Result<Vec<&'static str>, PageError> {
///     tokio::time::sleep(Duration::from_millis(40)).await;
///     Ok(vec!["tea"])
/// }
///
/// async fn page(id: u64) -> Result<String, PageError> {
///     scope!(|s| {
///         let u = s.spawn(user(id));
///         let o = s.spawn(orders(id));
///         let r = s.spawn(recommendations(id));
///         Ok(format!("{} {:?} {:?}", u.await?, o.await?, r.await?))
///     })
/// }
///
/// let start = tokio::time::Instant::now();
/// assert_eq!(page(1).await.unwrap(), "user-1 [7, 9] [\"tea\"]");
/// assert_eq!(start.elapsed(), Duration::from_millis(50)); // the slowest, not the sum
/// assert_eq!(page(0).await, Err(PageError::Backend("orders service down")));
/// # }
/// ```
///
/// ## Bounded fan-out over URLs, with a deadline
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use goscope::{Error, scope};
///
/// async fn fetch(url: &str) -> Result<usize, Error> {
///     tokio::time::sleep(Duration::from_millis(100)).await; // a simulated request
///     Ok(url.len())
/// }
///
/// let urls = ["https://a.example", "https://b.example", "https://c.example", "https://d.example"];
/// // At most two requests at a time, the whole batch within one second.
/// let sizes: Result<Vec<usize>, Error> = scope!(limit = 2, timeout = Duration::from_secs(1), |s| {
///     let pages: Vec<_> = urls.iter().map(|url| s.spawn_local(fetch(url))).collect();
///     let mut sizes = Vec::new();
///     for page in pages {
///         sizes.push(page.await?);
///     }
///     Ok(sizes)
/// });
/// assert_eq!(sizes.unwrap(), [17, 17, 17, 17]);
///
/// // The same batch against a deadline it cannot meet: every request is cancelled.
/// let late: Result<Vec<usize>, Error> = scope!(limit = 2, timeout = Duration::from_millis(150), |s| {
///     let pages: Vec<_> = urls.iter().map(|url| s.spawn_local(fetch(url))).collect();
///     let mut sizes = Vec::new();
///     for page in pages {
///         sizes.push(page.await?);
///     }
///     Ok(sizes)
/// });
/// assert!(matches!(late, Err(Error::TimedOut(_))));
/// # }
/// ```
///
/// # Expansion
///
/// ```text
/// scope!(limit = 4, |s| { body })
/// // becomes
/// {
///     let s = limit(new(), 4); // each option wraps the new scope
///     run(&s, async { body }).await // the body borrows `s`, in the caller's frame
/// }
/// ```
///
/// # Cancellation
///
/// Children are cancelled at their next `.await`; blocking children watch
/// [`Scope::token`]. A local child cannot borrow `s` itself; it takes a clone.
#[macro_export]
macro_rules! scope {
    ($($tokens:tt)*) => {
        $crate::__private::scope_impl!(($crate) $($tokens)*)
    };
}
