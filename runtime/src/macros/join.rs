//! `all!` and `race!`: their docs and the `macro_rules!` wrappers that hand `$crate` to the
//! proc macro.

/// Runs futures concurrently, in the calling task, and evaluates to the tuple of their
/// outputs, in order: Go's `WaitGroup` over a fixed set, `tokio::join!` with `?`.
///
/// ```text
/// all!(a, b, c)      // (A, B, C): every branch polled concurrently until all are done
/// all!(a?, b, c?)    // a `?` branch outputs Result<T, E>: its Err drops the others at once
///                    // and returns from the enclosing fn, as `a.await?` would
/// ```
///
/// A branch is anything `.await` takes (`IntoFuture`), and may borrow from the caller: the
/// branches live on the caller's stack (no allocation) and run in the calling task,
/// concurrently but not in parallel — a [`Task`](crate::Task) branch runs in parallel, on
/// its own. A `?` branch's error converts through `From`, exactly as `.await?` would; an
/// unmarked branch gives its raw output (a `Result` stays a `Result`). A panicking branch
/// drops the others and goes on unwinding. For a number of futures known only at run time,
/// see [`all`](fn@crate::all) and [`try_all`](fn@crate::try_all).
///
/// # Examples
///
/// A dashboard handler: four independent fetches, as slow as the slowest.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), String> {
/// use std::time::Duration;
/// use goscope::all;
///
/// async fn fetch(what: &'static str, ms: u64) -> Result<&'static str, String> {
///     tokio::time::sleep(Duration::from_millis(ms)).await;
///     Ok(what)
/// }
///
/// async fn dashboard() -> Result<String, String> {
///     let (user, orders, news, weather) = all!(
///         fetch("user", 30)?,
///         fetch("orders", 80)?,
///         fetch("news", 50)?,
///         fetch("weather", 20)?,
///     );
///     Ok(format!("{user} {orders} {news} {weather}"))
/// }
///
/// let start = tokio::time::Instant::now();
/// assert_eq!(dashboard().await?, "user orders news weather");
/// assert_eq!(start.elapsed(), Duration::from_millis(80)); // the slowest, not the sum
/// # Ok(())
/// # }
/// ```
///
/// The first `?` branch to fail ends the join, and the others are dropped at once:
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use goscope::all;
///
/// #[derive(Debug, PartialEq)]
/// enum PageError { NotFound(u64) }
///
/// async fn user(id: u64) -> Result<String, PageError> {
///     if id == 0 { Err(PageError::NotFound(id)) } else { Ok(format!("user-{id}")) }
/// }
/// async fn slow_posts() -> Vec<&'static str> {
///     tokio::time::sleep(Duration::from_secs(3600)).await; // dropped, never finishes
///     vec!["hello"]
/// }
///
/// async fn page(id: u64) -> Result<(String, Vec<&'static str>), PageError> {
///     let (user, posts) = all!(user(id)?, slow_posts());
///     Ok((user, posts))
/// }
///
/// let start = tokio::time::Instant::now();
/// assert_eq!(page(0).await, Err(PageError::NotFound(0)));
/// assert_eq!(start.elapsed(), Duration::ZERO);
/// # }
/// ```
///
/// # Expansion
///
/// ```text
/// all!(a?, b)
/// // becomes
/// {
///     // the branches, pinned on the caller's stack (no allocation)
///     pin_project! { struct __Branches<__B0, __B1> { #[pin] __b0: __B0, #[pin] __b1: __B1, } }
///     let mut __branches = pin!(__Branches {
///         __b0: Branch::new(IntoFuture::into_future(a)),
///         __b1: Branch::new(IntoFuture::into_future(b)),
///     });
///     let mut __skip: usize = 0; // each poll starts one branch later
///     enum __Exit<E0> { __Done, B0(E0), }
///     match poll_fn(|__cx: &mut Context<'_>| {
///         let __start = __skip;
///         __skip = if __skip + 1 == 2usize { 0 } else { __skip + 1 };
///         let mut __pending = false;
///         let mut __p = __branches.as_mut().project();
///         let mut __skip_arms: usize = __start;
///         let mut __left: usize = 2usize;
///         loop {
///             if __skip_arms == 0 {
///                 if __left == 0 { break; }
///                 __left -= 1;
///                 // `a?`: its `Err` ends the join at once
///                 match __p.__b0.as_mut().poll_try(__cx) {
///                     Poll::Ready(Option::Some(__error)) => { return Poll::Ready(__Exit::B0(__error)); }
///                     Poll::Ready(Option::None) => {}
///                     Poll::Pending => __pending = true,
///                 }
///             } else { __skip_arms -= 1; }
///             if __skip_arms == 0 {
///                 if __left == 0 { break; }
///                 __left -= 1;
///                 if !__p.__b1.as_mut().poll_done(__cx) { __pending = true; }
///             } else { __skip_arms -= 1; }
///         }
///         if __pending { Poll::Pending } else { Poll::Ready(__Exit::__Done) }
///     }).await {
///         __Exit::__Done => {
///             let mut __p = __branches.as_mut().project();
///             (__p.__b0.as_mut().take_ok(), __p.__b1.as_mut().take(),)
///         }
///         // the `?` of the enclosing fn, with its `From` conversion
///         __Exit::B0(__error) => match Result::<Infallible, _,>::Err(__error)? {},
///     }
/// }
/// ```
#[macro_export]
macro_rules! all {
    ($($tokens:tt)*) => {
        $crate::__private::all_impl!(($crate) $($tokens)*)
    };
}

/// Runs futures concurrently, in the calling task, and evaluates to the output of the
/// first to finish; the others are dropped (a [`Task`](crate::Task) branch is thereby
/// cancelled).
///
/// ```text
/// race!(a, b, c)                  // T: the first output
/// race!(ok: a, b, c)              // Result<T, E>: the first Ok; if all fail, the last Err
/// race!(timeout = d, a, b)        // Result<T, goscope::Error>: Err(TimedOut(d)) at the deadline
/// race!(biased; a, b)             // several ready: the first in order wins (else random)
/// ```
///
/// Options combine, in the order `biased;`, `ok:`, `timeout = d,`:
/// `race!(ok: timeout = d, a, b)` is a `Result<Result<T, E>, goscope::Error>`. Every branch
/// has the same output type. When several branches are ready at the same poll, the winner
/// is random (seedable with [`select::seed`](crate::select::seed)) unless `biased;`, by the
/// rule of every race: see [`race`](fn@crate::race#which-of-several-ready-futures-wins).
/// For a number of futures known only at run time, see [`race`](fn@crate::race) and
/// [`race_ok`](fn@crate::race_ok).
///
/// # Examples
///
/// Search with a fallback, within a deadline:
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use goscope::{Error, race};
///
/// async fn search(engine: &'static str, ms: u64) -> String {
///     tokio::time::sleep(Duration::from_millis(ms)).await;
///     format!("results from {engine}")
/// }
///
/// let found = race!(timeout = Duration::from_millis(100), search("primary", 70), search("mirror", 40));
/// assert_eq!(found.unwrap(), "results from mirror");
///
/// let late = race!(timeout = Duration::from_millis(10), search("primary", 70), search("mirror", 40));
/// assert!(matches!(late, Err(Error::TimedOut(_))));
/// # }
/// ```
///
/// The first source that has the answer:
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use goscope::race;
///
/// async fn cache(key: u32) -> Result<String, String> {
///     Err(format!("cache: {key} not cached"))
/// }
/// async fn db(key: u32) -> Result<String, String> {
///     tokio::time::sleep(Duration::from_millis(20)).await;
///     Ok(format!("{key} from the database"))
/// }
/// async fn api(key: u32) -> Result<String, String> {
///     tokio::time::sleep(Duration::from_millis(90)).await;
///     Ok(format!("{key} from the API"))
/// }
///
/// assert_eq!(race!(ok: cache(7), db(7), api(7)).unwrap(), "7 from the database");
/// # }
/// ```
///
/// The expansions use no edition-specific syntax (this example is edition 2021):
///
/// ```edition2021
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), String> {
/// use goscope::{all, race};
///
/// async fn get(n: u32) -> Result<u32, String> { Ok(n) }
///
/// let (a, b) = all!(get(1)?, get(2));
/// let c = race!(biased; ok: get(3), get(4));
/// assert_eq!((a, b, c), (1, Ok(2), Ok(3)));
/// # Ok(())
/// # }
/// ```
///
/// # Expansion
///
/// ```text
/// race!(a, b)
/// // becomes
/// {
///     let mut __branch0 = pin!(IntoFuture::into_future(a));
///     let mut __branch1 = pin!(IntoFuture::into_future(b));
///     poll_fn(|__cx: &mut Context<'_>| {
///         let __start: usize = start(2usize); // a random branch (see `race`)
///         let mut __skip_arms: usize = __start;
///         let mut __left: usize = 2usize;
///         loop {
///             if __skip_arms == 0 {
///                 if __left == 0 { break; }
///                 __left -= 1;
///                 if let Poll::Ready(__value) = Future::poll(__branch0.as_mut(), __cx) {
///                     return Poll::Ready(__value); // the first ready branch wins
///                 }
///             } else { __skip_arms -= 1; }
///             if __skip_arms == 0 {
///                 if __left == 0 { break; }
///                 __left -= 1;
///                 if let Poll::Ready(__value) = Future::poll(__branch1.as_mut(), __cx) {
///                     return Poll::Ready(__value);
///                 }
///             } else { __skip_arms -= 1; }
///         }
///         Poll::Pending
///     })
///     .await // the losers are dropped with the block
/// }
/// ```
#[macro_export]
macro_rules! race {
    ($($tokens:tt)*) => {
        $crate::__private::race_impl!(($crate) $($tokens)*)
    };
}
