//! Generators: lazy iterators and streams written as straight-line code that yields.
//!
//! # Design
//!
//! Stable Rust has no coroutines, but it has `async` blocks, which are compiled to the
//! same state machines. A generator's body is made into an `async` block that is handed a
//! [`Co`] (its yielder); `yield_!(v)` becomes `co.yield_(v).await`. The yield future
//! stores `v` in the generator's own slot and is pending once; whoever polls the body sees
//! the pending poll, takes the value from the slot and hands it out. The next poll
//! resumes the body just after the yield.
//!
//! - [`Generator`] (a sync `Iterator`) polls its body with a no-op waker: the body awaits
//!   nothing but its yields (the macros reject `.await` in a sync generator), so a pending
//!   poll always comes with a value, and `next` never blocks.
//! - [`AsyncGenerator`] (a `Stream`) polls its body with the consumer's waker: a pending
//!   poll with a value in the slot is a yield, without one it is a real `.await` inside
//!   the body, and the stream is pending too.
//!
//! The body is boxed, so that `Generator<T>` is one type users can name whatever the body;
//! the box holds the body together with the step that polls it and takes the value (a
//! private `Resume` trait, implemented per body type), so an item costs one indirect call
//! into code where the poll and the handover are inlined together.
//!
//! ## Invariants
//!
//! 1. Each generator has its own slot, shared only with its own body's [`Co`] (an `Arc`):
//!    no thread-local or global slot, so generators nested in each other, moved across
//!    threads between items, or polled inside another generator's body cannot see each
//!    other's values (the class of bug async-stream's thread-local slot had).
//! 2. At most one value is in the slot: the body is suspended at the yield that put it
//!    there until the value has been taken.
//! 3. The body is dropped as soon as it finishes, when the generator is closed, and when
//!    the generator is dropped: its locals' destructors run then.
//! 4. The slot is an `UnsafeCell` handed between its one writer and its one reader by an
//!    atomic flag (see `Slot`); that is the only `unsafe`; a loom model checks the
//!    handover's orderings and Miri runs the unit tests over it.

use crate::loom::{Arc, AtomicBool, Ordering, UnsafeCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;

/// The slot a body's yields fill and its generator empties: one value at most, handed over
/// by a flag.
///
/// There is one writer, the generator's [`Co`] (its `yield_` takes `&mut self`, and the
/// `Co` is not `Clone`), and one reader, the generator (through `&mut self`). The writer
/// stores only while the flag says empty and then sets it (`Release`); the reader takes
/// only while it says full (`Acquire`) and then clears it (`Release`). So the two never
/// touch the value at the same time, even if a body sends its `Co` to another thread —
/// which a plain `Mutex` would also allow, at four atomic read-modify-writes an item
/// where this needs none.
struct Slot<T> {
    full: AtomicBool,
    value: UnsafeCell<Option<T>>,
}

// SAFETY: the value is only reached under the flag protocol above (one writer through
// `&mut Co`, one reader through `&mut` generator, each touching the value only while the
// flag hands it to them), so sharing `&Slot` between the two threads cannot race on it;
// the value itself moves between threads, hence `T: Send`. Exercised under loom by
// `loom::slot_hands_values_across_threads` and under Miri by `tests` (both in `.ci/run`).
unsafe impl<T: Send> Sync for Slot<T> {}

impl<T> Slot<T> {
    fn new() -> Self {
        Slot {
            full: AtomicBool::new(false),
            value: UnsafeCell::new(None),
        }
    }

    /// Stores `value`, or gives it back if the last one has not been taken yet.
    fn put(&self, value: T) -> Result<(), T> {
        if self.full.load(Ordering::Acquire) {
            return Err(value);
        }
        // SAFETY: the flag is clear, so the reader is not touching the value (it reads
        // only while the flag is set) and will not until the store below; we are the
        // only writer (`&mut Co`).
        self.value
            .with_mut(|value_ptr| unsafe { *value_ptr = Some(value) });
        self.full.store(true, Ordering::Release);
        Ok(())
    }

    fn take(&self) -> Option<T> {
        if !self.full.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: the flag is set, so the writer has finished its write (`Acquire` pairs
        // with its `Release`) and will not write again until we clear it; we are the only
        // reader (`&mut` generator).
        let value = self
            .value
            .with_mut(|value_ptr| unsafe { (*value_ptr).take() });
        self.full.store(false, Ordering::Release);
        value
    }
}

/// The yielder a generator's body is given: what `yield_!(v)` calls.
///
/// Created by the generator, one per generator; not something to create by hand except
/// with [`Generator::new`] or [`AsyncGenerator::new`].
pub struct Co<T> {
    slot: Arc<Slot<T>>,
}

impl<T> Co<T> {
    /// Hands `value` out of the generator; resumes when the next item is asked for.
    /// What `yield_!(value)` expands to, with `.await`.
    pub fn yield_(&mut self, value: T) -> Yield<'_, T> {
        Yield {
            co: self,
            value: Some(value),
        }
    }
}

impl<T> fmt::Debug for Co<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Co").finish_non_exhaustive()
    }
}

/// A yield: pending once, with its value in the generator's slot.
///
/// This `struct` is created by [`Co::yield_`].
#[must_use = "a yield does nothing unless it is `.await`ed"]
pub struct Yield<'a, T> {
    co: &'a mut Co<T>,
    value: Option<T>,
}

impl<T> Unpin for Yield<'_, T> {}

impl<T> Future for Yield<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        match self.value.take() {
            Some(value) => {
                if let Err(value) = self.co.slot.put(value) {
                    // The last value is still there (only a hand-driven body can get
                    // here): keep this one and try again at the next poll.
                    self.value = Some(value);
                }
                Poll::Pending
            }
            None => Poll::Ready(()),
        }
    }
}

impl<T> fmt::Debug for Yield<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Yield")
            .field("yielded", &self.value.is_none())
            .finish()
    }
}

/// A body and the step that runs it to its next yield, compiled together for each body
/// type: the one indirect call an item costs lands in code where the body's poll and the
/// slot's handover are inlined into each other.
trait Resume<T>: Send {
    /// Runs the body to its next yield (`Ready(Some)`), its end (`Ready(None)`), or an
    /// `.await` that is not ready (`Pending`).
    fn resume(self: Pin<&mut Self>, slot: &Slot<T>, cx: &mut Context<'_>) -> Poll<Option<T>>;
}

pin_project_lite::pin_project! {
    struct Driven<B> {
        #[pin]
        body: B,
    }
}

impl<T, B: Future<Output = ()> + Send> Resume<T> for Driven<B> {
    #[inline]
    fn resume(self: Pin<&mut Self>, slot: &Slot<T>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match self.project().body.poll(cx) {
            // Finished (a value cannot be waiting: a yield is pending once it stores one).
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => match slot.take() {
                Some(item) => Poll::Ready(Some(item)),
                None => Poll::Pending,
            },
        }
    }
}

type Body<'a, T> = Pin<Box<dyn Resume<T> + 'a>>;

/// What both kinds of generator hold: the suspended body, its slot, a peeked item.
struct Core<'a, T> {
    /// `None` once the body has finished or the generator was closed.
    body: Option<Body<'a, T>>,
    slot: Arc<Slot<T>>,
    /// An item taken from the body by `done()`, returned by the next `next`.
    peeked: Option<T>,
}

impl<'a, T: Send + 'a> Core<'a, T> {
    fn new<F, B>(body: F) -> Self
    where
        F: FnOnce(Co<T>) -> B,
        B: Future<Output = ()> + Send + 'a,
    {
        let slot = Arc::new(Slot::new());
        let co = Co {
            slot: Arc::clone(&slot),
        };
        Core {
            body: Some(Box::pin(Driven { body: body(co) })),
            slot,
            peeked: None,
        }
    }

    /// Runs the body to its next yield (`Ready(Some)`), its end (`Ready(None)`), or, for an
    /// async body, an `.await` that is not ready (`Pending`).
    #[inline]
    fn resume(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if self.peeked.is_some() {
            return Poll::Ready(self.peeked.take());
        }
        let Some(body) = &mut self.body else {
            return Poll::Ready(None);
        };
        match body.as_mut().resume(&self.slot, cx) {
            Poll::Ready(None) => {
                // Finished: its locals are dropped now, not when the generator is.
                self.body = None;
                Poll::Ready(None)
            }
            other => other,
        }
    }

    /// `done()`'s end: keeps the item it took (the next one returned, since `resume` hands
    /// out a kept item first); whether there was none.
    fn keep(&mut self, next: Option<T>) -> bool {
        let finished = next.is_none();
        self.peeked = next;
        finished
    }

    fn close(&mut self) {
        self.body = None;
        self.peeked = None;
        self.slot.take();
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let peeked = usize::from(self.peeked.is_some());
        if self.body.is_none() {
            (peeked, Some(peeked))
        } else {
            (peeked, None)
        }
    }
}

/// A lazy iterator whose items a body yields: what a sync `#[generator] fn` returns, and
/// what `iter! { … }` evaluates to.
///
/// Nothing runs until the first [`next`](Iterator::next); each `next` runs the body to its
/// next `yield_!`. Dropping the generator (or [`close`](Generator::close)) stops the body
/// where it is suspended and drops its locals. `'a` is what the body borrows (`'static`
/// when it owns everything).
///
/// ```
/// use goscope::{Generator, generator, yield_};
///
/// #[generator]
/// fn countdown(from: u32) -> Generator<u32> {
///     let mut n = from;
///     while n > 0 {
///         yield_!(n);
///         n -= 1;
///     }
/// }
///
/// assert_eq!(countdown(3).collect::<Vec<_>>(), [3, 2, 1]);
/// ```
pub struct Generator<'a, T> {
    core: Core<'a, T>,
}

impl<'a, T: Send + 'a> Generator<'a, T> {
    /// A generator whose body is the `async` block `body` returns when given the yielder:
    /// what the macros expand to. The body must not await anything but its yields.
    ///
    /// ```
    /// let squares = goscope::Generator::new(|mut co| async move {
    ///     for i in 1..=3u32 {
    ///         co.yield_(i * i).await;
    ///     }
    /// });
    /// assert_eq!(squares.collect::<Vec<_>>(), [1, 4, 9]);
    /// ```
    pub fn new<F, B>(body: F) -> Self
    where
        F: FnOnce(Co<T>) -> B,
        B: Future<Output = ()> + Send + 'a,
    {
        Generator {
            core: Core::new(body),
        }
    }

    /// Whether the generator has no more items. Runs the body to its next yield if it must
    /// to know; that item is kept, and is the next one [`next`](Iterator::next) returns.
    ///
    /// ```
    /// let mut g = goscope::iter! { yield 1; };
    /// assert!(!g.done());
    /// assert_eq!(g.next(), Some(1));
    /// assert!(g.done());
    /// ```
    pub fn done(&mut self) -> bool {
        let next = self.next();
        self.core.keep(next)
    }

    /// Ends the generator now: the body is dropped where it is suspended (its locals'
    /// destructors run) and every later `next` returns `None`.
    pub fn close(&mut self) {
        self.core.close();
    }
}

impl<'a, T: Send + 'a> Iterator for Generator<'a, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        let mut cx = Context::from_waker(Waker::noop());
        match self.core.resume(&mut cx) {
            Poll::Ready(item) => item,
            Poll::Pending => panic!(
                "a sync generator's body awaited something other than its own yields; \
                 make it an `async fn` returning `AsyncGenerator<T>` (or `stream!`)"
            ),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.core.size_hint()
    }
}

impl<'a, T: Send + 'a> std::iter::FusedIterator for Generator<'a, T> {}

impl<T> fmt::Debug for Generator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("finished", &self.core.body.is_none())
            .finish_non_exhaustive()
    }
}

/// A lazy stream whose items a body yields, and whose body may `.await`: what an
/// `async` `#[generator] fn` returns, and what `stream! { … }` evaluates to.
///
/// Nothing runs until the stream is first polled. Dropping it (or
/// [`close`](AsyncGenerator::close)) stops the body where it is suspended — in the middle
/// of an `.await`, that await is cancelled — and drops its locals.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use futures_util::StreamExt;
/// use goscope::{AsyncGenerator, generator, yield_};
///
/// #[generator]
/// async fn pages(count: u32) -> AsyncGenerator<String> {
///     for page in 1..=count {
///         tokio::task::yield_now().await; // a simulated fetch
///         yield_!(format!("page {page}"));
///     }
/// }
///
/// let all: Vec<String> = pages(2).collect().await;
/// assert_eq!(all, ["page 1", "page 2"]);
/// # }
/// ```
pub struct AsyncGenerator<'a, T> {
    core: Core<'a, T>,
}

impl<'a, T: Send + 'a> AsyncGenerator<'a, T> {
    /// A stream whose body is the `async` block `body` returns when given the yielder:
    /// what the macros expand to.
    pub fn new<F, B>(body: F) -> Self
    where
        F: FnOnce(Co<T>) -> B,
        B: Future<Output = ()> + Send + 'a,
    {
        AsyncGenerator {
            core: Core::new(body),
        }
    }

    /// The next item, or `None` at the end (as `StreamExt::next`).
    pub async fn next(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.core.resume(cx)).await
    }

    /// Whether the stream has no more items. Runs the body to its next yield if it must to
    /// know; that item is kept, and is the next one returned.
    pub async fn done(&mut self) -> bool {
        let next = self.next().await;
        self.core.keep(next)
    }

    /// Ends the stream now: the body is dropped where it is suspended (an `.await` in
    /// progress is cancelled, its locals' destructors run) and every later poll returns
    /// `None`.
    pub fn close(&mut self) {
        self.core.close();
    }
}

impl<'a, T: Send + 'a> Stream for AsyncGenerator<'a, T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.core.resume(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.core.size_hint()
    }
}

impl<T> Unpin for AsyncGenerator<'_, T> {}

impl<T> fmt::Debug for AsyncGenerator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncGenerator")
            .field("finished", &self.core.body.is_none())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, goscope_loom))]
mod loom;

#[cfg(all(test, not(goscope_loom)))]
mod tests;
