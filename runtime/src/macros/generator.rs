//! `#[generator]`, `yield_!`, `yield_from!`, `iter!` and `stream!`: their docs and the
//! `macro_rules!` wrappers that hand `$crate` to the proc macro.

#[cfg(doc)]
use crate::{AsyncGenerator, Generator};

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
///
/// # Expansion
///
/// ```text
/// #[generator] fn count(n: u32) -> Generator<u32> { for i in 0..n { yield_!(i); } }
/// // becomes
/// fn count(n: u32) -> Generator<'static, u32> {
///     // the body runs in an async block, driven by the iterator one step per `next`
///     Generator::new(move |mut __goscope_co: Co<u32>| async move {
///         {
///             for i in 0..n {
///                 yield_!(@__goscope __goscope_co, i); // `__goscope_co.yield_(i).await`
///             }
///         }
///     })
/// }
/// ```
pub use goscope_macros::generator;

/// Yields a value from the body of a `#[generator]` fn: `yield_!(value)`.
///
/// An expression of type `()`, so it works anywhere in the body — loops, `match` arms,
/// `if let`, nested blocks — but not inside a closure, an `async` block or a nested fn
/// there (those are not the generator's body: move the yield out, or collect first).
/// Outside a generator it is a compile error. Inside `iter! { … }` and `stream! { … }` the
/// bare `yield value;` does the same.
///
/// ```
/// use goscope::{Generator, generator, yield_};
///
/// #[generator]
/// fn evens(limit: u32) -> Generator<u32> {
///     for n in 0..limit {
///         match n % 2 {
///             0 => yield_!(n),
///             _ => {}
///         }
///     }
/// }
///
/// assert_eq!(evens(7).collect::<Vec<_>>(), [0, 2, 4, 6]);
/// ```
#[macro_export]
macro_rules! yield_ {
    (@__goscope $co:ident, $value:expr $(,)?) => {
        $co.yield_($value).await
    };
    (@__goscope $co:ident $(,)?) => {
        ::core::compile_error!("`yield_!` needs a value: `yield_!(v)`")
    };
    (@__goscope_reported $($tokens:tt)*) => {
        ()
    };
    ($($tokens:tt)*) => {
        ::core::compile_error!(
            "`yield_!` can only be used in the body of a `#[generator]` fn (for a block, \
             `iter! { … }` or `stream! { … }` take the bare `yield v;`)"
        )
    };
}

/// Yields every item of another generator, iterator (in a sync generator) or stream (in
/// an async generator): `yield_from!(source)`.
///
/// ```
/// use goscope::{Generator, generator, yield_, yield_from};
///
/// #[generator]
/// fn framed(inner: Vec<&'static str>) -> Generator<&'static str> {
///     yield_!("begin");
///     yield_from!(inner);
///     yield_!("end");
/// }
///
/// assert_eq!(framed(vec!["a", "b"]).collect::<Vec<_>>(), ["begin", "a", "b", "end"]);
/// ```
#[macro_export]
macro_rules! yield_from {
    (@__goscope $co:ident, sync, $source:expr $(,)?) => {
        for item in $source {
            $co.yield_(item).await;
        }
    };
    (@__goscope $co:ident, async, $source:expr $(,)?) => {{
        let mut source = ::core::pin::pin!($source);
        while let ::core::option::Option::Some(item) =
            $crate::__private::generator::next(&mut source).await
        {
            $co.yield_(item).await;
        }
    }};
    (@__goscope_reported $($tokens:tt)*) => {
        ()
    };
    ($($tokens:tt)*) => {
        ::core::compile_error!(
            "`yield_from!` can only be used in the body of a `#[generator]` fn, `iter!` or \
             `stream!`"
        )
    };
}

/// A [`Generator`] (a lazy iterator) from a block with the bare `yield v;`: the block
/// captures what it uses like a `move` closure.
///
/// ```
/// let limit = 10;
/// let evens = goscope::iter! {
///     for i in 0..limit {
///         if i % 2 == 0 {
///             yield i;
///         }
///     }
/// };
/// assert_eq!(evens.collect::<Vec<_>>(), [0, 2, 4, 6, 8]);
/// ```
///
/// # Expansion
///
/// ```text
/// iter! { for i in 0..3 { yield i; } }
/// // becomes
/// Generator::new(move |mut __goscope_co: Co<_>| async move {
///     for i in 0..3 {
///         __goscope_co.yield_(i).await; // each `yield v;`
///     }
/// })
/// ```
#[macro_export]
macro_rules! iter {
    ($($tokens:tt)*) => {
        $crate::__private::iter_impl!(($crate) $($tokens)*)
    };
}

/// An [`AsyncGenerator`] (a lazy stream) from a block that may `.await`, with the bare
/// `yield v;`: the block captures what it uses like a `move` closure.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use futures_util::StreamExt;
///
/// let ticks = goscope::stream! {
///     for n in 1..=3 {
///         tokio::time::sleep(Duration::from_secs(1)).await;
///         yield n;
///     }
/// };
/// assert_eq!(ticks.collect::<Vec<_>>().await, [1, 2, 3]);
/// # }
/// ```
///
/// # Expansion
///
/// ```text
/// stream! { let v = fetch().await; yield v; }
/// // becomes
/// AsyncGenerator::new(move |mut __goscope_co: Co<_>| async move {
///     let v = fetch().await;
///     __goscope_co.yield_(v).await;
/// })
/// ```
#[macro_export]
macro_rules! stream {
    ($($tokens:tt)*) => {
        $crate::__private::stream_impl!(($crate) $($tokens)*)
    };
}
