//! The select engine: wait for the first of several channel operations and futures, with
//! Go's semantics — exactly one case happens, the choice among ready cases is uniformly
//! random, and a send that is not chosen computes, moves and loses nothing.
//!
//! [`Select`] is the engine as a builder, for any number of cases known at run time;
//! the `select!` macro expands to the same machinery.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use goscope::chan;
//! use goscope::select::Select;
//!
//! let (jobs_tx, jobs) = chan::bounded::<u32>(1);
//! let (results, results_rx) = chan::bounded::<String>(1);
//! jobs_tx.send(7).await.unwrap();
//!
//! #[derive(Debug, PartialEq)]
//! enum Event { Job(Option<u32>), Sent }
//!
//! let mut sel = Select::new();
//! sel.recv(&jobs, Event::Job);
//! sel.send(&results, || "report".to_owned(), |r| { r.unwrap(); Event::Sent });
//! let event = sel.await;
//! // Both cases were ready; one ran, chosen at random. A losing send built no string.
//! assert!(event == Event::Job(Some(7)) || event == Event::Sent);
//! # let _ = results_rx;
//! # }
//! ```
//!
//! # The protocol
//!
//! Every select invocation that has to wait owns one shared state (`SelectShared`),
//! shared with its parked entries in the channels' queues:
//!
//! - `POLLING` — the select is trying its cases itself. Nothing can complete into it; a
//!   counterpart that finds one of its entries marks it `DIRTY` and passes it by.
//! - `WAITING` — parked. A counterpart completes case `k` only after winning the CAS
//!   `WAITING → SELECTED(k)`, under that channel's lock; so exactly one case happens.
//! - `SELECTED(k)` — case `k` won. `ABORTED` — the future was dropped.
//!
//! A poll is a *pass*: the cases are tried in a fresh Fisher–Yates order (per select,
//! drawn lazily as the pass reaches each position; per-thread RNG, [`seed`]-able; in
//! order with `biased`). Each try happens under that
//! channel's lock and, when not ready, parks the case's entry in the same critical
//! section — so a counterpart arriving after the try sees the entry. The first poll's
//! pass parks nothing (and allocates nothing); only if no case is ready does a second,
//! registering pass run. After a registering pass the select CASes `POLLING → WAITING`;
//! if a counterpart marked it `DIRTY` meanwhile, it passes again instead of sleeping.
//!
//! ## Lazy send values
//!
//! A send case's entry carries no value. Whoever commits to it — a receiver that claims
//! the parked entry, or the select itself finding a parked receiver or buffer room (the
//! slot is then *reserved*) — links the two; the select's task produces the value
//! outside every lock and delivers it into the receiver's entry, or, if that receiver
//! has gone meanwhile, to the next receiver or into the buffer: the case counts as sent
//! and nothing is lost. If producing the value panics, or the select future is dropped
//! before producing it, the claim is released: the waiting receiver goes back to the
//! front of the queue (a select receiver polls anew), and no send happened.
//!
//! ## Invariants
//!
//! 1. A counterpart completes into a select only through `WAITING → SELECTED(k)`.
//! 2. A select never pairs with itself: its own entries are passed by.
//! 3. A send case's value is produced only after the case is committed.
//! 4. A receive case takes a value only if it is chosen; a value delivered to a select
//!    dropped before taking it is given back to the channel (as for a plain receive).
//! 5. A dropped select future: `ABORTED`, then its entries are removed; if a case had
//!    been chosen, what it was promised is undone (rule 4, or the release above).
//! 6. `close()` wakes parked selects; a receive on a closed, drained channel is ready with
//!    `None`, a send on a closed channel is ready with `Err(SendError(v))`.
//!
//! The non-blocking [`Select::try_select`] (`default` in `select!`) is one pass: with
//! per-channel locks it is not an atomic snapshot of all channels, but a case that was
//! ready when the pass began and stays ready is found, because every case is tried.
//! A receive does not claim another select's parked send in `try_select` or
//! [`try_recv`](crate::chan::Receiver::try_recv): it cannot wait for that value.

pub(crate) mod case;
pub(crate) mod engine;
#[cfg(all(test, goscope_loom))]
mod loom;
pub(crate) mod shared;

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use self::case::{Case, FutureCase, RecvCase, SendCase};
use self::engine::Engine;
use crate::chan::{Receiver, SendError, Sender};

/// Makes the order in which selects on the current thread try their cases reproducible:
/// the same seed, the same sequence of choices. For tests.
///
/// It seeds the one per-thread generator every random choice of goscope draws from, so
/// it makes the races reproducible too: which of several ready futures a `race!`,
/// [`race`](fn@crate::race) or [`race_ok`](fn@crate::race_ok) on this thread picks (see
/// [the race rule](fn@crate::race#which-of-several-ready-futures-wins)), and a retry's
/// jitter.
///
/// ```
/// use goscope::{chan, select::{self, Select}};
///
/// fn pick() -> usize {
///     let (a, ra) = chan::bounded(1);
///     let (b, rb) = chan::bounded(1);
///     a.try_send(()).unwrap();
///     b.try_send(()).unwrap();
///     let mut sel = Select::new();
///     sel.recv(&ra, |_| 0);
///     sel.recv(&rb, |_| 1);
///     sel.try_select().ok().unwrap()
/// }
///
/// select::seed(42);
/// let first: Vec<usize> = (0..20).map(|_| pick()).collect();
/// select::seed(42);
/// let again: Vec<usize> = (0..20).map(|_| pick()).collect();
/// assert_eq!(first, again);
/// ```
pub fn seed(seed: u64) {
    crate::util::rand::seed(seed);
}

type BoxedCase<'a, O> = Box<dyn Case<O> + Send + 'a>;
type BoxedCases<'a, O> = Vec<Option<BoxedCase<'a, O>>>;

/// A select under construction: add cases, then `.await` it (or [`try_select`],
/// [`select_blocking`]) to run exactly one of them.
///
/// Each case has a handler that turns its outcome into the select's output `O`.
///
/// [`try_select`]: Select::try_select
/// [`select_blocking`]: Select::select_blocking
pub struct Select<'a, O> {
    cases: BoxedCases<'a, O>,
    biased: bool,
}

impl<'a, O> Select<'a, O> {
    /// An empty select whose ready cases are chosen uniformly at random.
    pub fn new() -> Self {
        Select {
            cases: Vec::new(),
            biased: false,
        }
    }

    /// An empty select that tries its cases in the order they were added.
    pub fn biased() -> Self {
        Select {
            cases: Vec::new(),
            biased: true,
        }
    }

    /// The number of cases.
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    /// Returns `true` if no case was added.
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    /// Adds a receive on `rx`: `handle` gets the value, or `None` if the channel is closed
    /// and drained. Returns the case's index.
    pub fn recv<T, H>(&mut self, rx: &'a Receiver<T>, handle: H) -> usize
    where
        T: Send + 'a,
        H: FnOnce(Option<T>) -> O + Send + 'a,
    {
        self.push(Box::new(RecvCase::new(rx, move |v| Some(handle(v)))))
    }

    /// Adds a send on `tx` of the value `value` produces — called only if this case is
    /// chosen: a send that loses computes and moves nothing. `handle` gets `Ok(())`, or
    /// the value back in `Err(SendError(v))` if the channel is closed. Returns the case's
    /// index.
    pub fn send<T, V, H>(&mut self, tx: &'a Sender<T>, value: V, handle: H) -> usize
    where
        T: Send + 'a,
        V: FnOnce() -> T + Send + 'a,
        H: FnOnce(Result<(), SendError<T>>) -> O + Send + 'a,
    {
        self.push(Box::new(SendCase::new(tx, value, move |r| Some(handle(r)))))
    }

    /// Adds any future: `handle` gets its output. The future is dropped unfinished if
    /// another case wins. Returns the case's index.
    pub fn future<F, H>(&mut self, fut: F, handle: H) -> usize
    where
        F: Future + Send + 'a,
        H: FnOnce(F::Output) -> O + Send + 'a,
    {
        self.push(Box::new(FutureCase::new(Box::pin(fut), move |out| {
            Some(handle(out))
        })))
    }

    fn push(&mut self, case: BoxedCase<'a, O>) -> usize {
        self.cases.push(Some(case));
        self.cases.len() - 1
    }

    /// Runs a ready case now, if there is one (`default` in Go): one pass over the cases,
    /// futures polled once. `Err(self)` if none is ready.
    ///
    /// ```
    /// use goscope::{chan, select::Select};
    /// let (tx, rx) = chan::bounded::<u8>(1);
    /// let mut sel = Select::new();
    /// sel.recv(&rx, |v| v);
    /// let sel = sel.try_select().unwrap_err(); // nothing to receive yet
    /// tx.try_send(4).unwrap();
    /// assert_eq!(sel.try_select().ok(), Some(Some(4)));
    /// ```
    pub fn try_select(self) -> Result<O, Self> {
        let biased = self.biased;
        let mut engine = self.engine();
        match engine.try_once() {
            Some(out) => Ok(out),
            None => Err(Select {
                cases: engine.into_cases(),
                biased,
            }),
        }
    }

    /// Runs the select to completion on this thread, parking it while no case is ready.
    /// For threads that do not run async code.
    ///
    /// ```
    /// use goscope::{chan, select::Select};
    /// let (tx, rx) = chan::bounded(0);
    /// std::thread::spawn(move || tx.send_blocking("ping").unwrap());
    /// let mut sel = Select::new();
    /// sel.recv(&rx, |v| v);
    /// assert_eq!(sel.select_blocking(), Some("ping"));
    /// ```
    pub fn select_blocking(self) -> O {
        crate::util::block_on::block_on(self.into_future())
    }

    fn engine(self) -> Engine<O, BoxedCases<'a, O>, Vec<usize>> {
        let order = vec![0; self.cases.len()];
        Engine::new(self.cases, order, self.biased)
    }
}

impl<O> Default for Select<'_, O> {
    fn default() -> Self {
        Self::new()
    }
}

impl<O> fmt::Debug for Select<'_, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("cases", &self.cases.len())
            .field("biased", &self.biased)
            .finish()
    }
}

impl<'a, O> IntoFuture for Select<'a, O> {
    type Output = O;
    type IntoFuture = SelectFuture<'a, O>;

    fn into_future(self) -> SelectFuture<'a, O> {
        SelectFuture {
            engine: self.engine(),
        }
    }
}

/// Waits for the first case of a [`Select`] and runs it.
///
/// This `struct` is created by awaiting a [`Select`] (`IntoFuture`).
///
/// # Panics
///
/// Polling a select with no cases panics: it could never complete.
///
/// # Cancel safety
///
/// Cancel-safe: dropping it before it completes makes no case happen — a value already
/// handed to one of its receive cases goes back to the channel, and a receiver waiting
/// for one of its send cases' values waits on.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct SelectFuture<'a, O> {
    engine: Engine<O, BoxedCases<'a, O>, Vec<usize>>,
}

impl<O> Unpin for SelectFuture<'_, O> {}

impl<O> Future for SelectFuture<'_, O> {
    type Output = O;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<O> {
        self.engine.poll_select(cx)
    }
}

impl<O> fmt::Debug for SelectFuture<'_, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SelectFuture").field(&self.engine).finish()
    }
}
