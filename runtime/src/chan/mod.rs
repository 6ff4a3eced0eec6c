//! Channels with Go's semantics: bounded, unbounded and rendezvous (capacity 0), closable
//! from either end, multi-producer multi-consumer, usable from async code and from plain
//! threads, and cancel-safe: no value is ever lost or duplicated by a dropped future.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use goscope::chan;
//!
//! let (tx, rx) = chan::bounded(16);
//! let producer = goscope::go(async move {
//!     for i in 0..3 {
//!         tx.send(i).await.unwrap();
//!     }
//!     // Dropping the last sender closes the channel.
//! });
//! let mut got = Vec::new();
//! while let Some(v) = rx.recv().await {
//!     got.push(v);
//! }
//! assert_eq!(got, [0, 1, 2]);
//! producer.await.unwrap();
//! # }
//! ```
//!
//! | Go | goscope |
//! | --- | --- |
//! | `make(chan T, n)` / `make(chan T)` | `chan::bounded(n)` / `chan::bounded(0)`, `chan::unbounded()` |
//! | `ch <- v` | `tx.send(v).await?` (or `tx.send_blocking(v)?` on a thread) |
//! | `v, ok := <-ch` | `rx.recv().await` → `Some(v)` / `None` when closed and drained |
//! | `close(ch)` | `tx.close()` or `rx.close()`, or drop every `Sender` |
//! | `for v := range ch` | `while let Some(v) = rx.recv().await`, `for v in &rx` (blocking), or `rx` as a `Stream` |
//! | `len(ch)`, `cap(ch)` | `len()`, `capacity()` |
//!
//! Unlike Go, a send on a closed channel does not panic: it returns the value in the
//! error. Receiving from a closed channel returns `None` once the buffer is drained.
//!
//! # Design
//!
//! Two halves. The **buffer** is lock-free: crossbeam's array flavor (a Vyukov ring,
//! `ring.rs`) for a bounded channel and its list flavor (`list.rs`) for an unbounded one,
//! each with *lazy sends* — a slot claimed before its value exists, for a select's send
//! case. Under the **lock**, as in Go's `hchan`: two FIFO queues of parked operations,
//! `recvq` (receivers waiting for a value) and `sendq` (senders waiting to hand theirs
//! over, each parked waiter holding its value), the values given back by cancelled
//! receives (`stash`), and the close flag. A rendezvous channel (capacity 0) has no
//! buffer: all of it is under the lock. A parked operation's *waiter* lives inside its
//! own pinned future (`SendFuture` and `RecvFuture` are `!Unpin`), or inside a select's
//! case, and the queues link waiters by pointer, so parking allocates nothing. A
//! counterpart completes a waiter through one atomic state word (`waiter.rs` has the
//! protocol and its invariants): the completed side's re-poll takes no lock.
//!
//! The files: `buffer.rs` (the buffer and the `Parked` flags), `core.rs` (the state, the
//! lock, the fast paths), `handoff.rs` (the moves between the buffer and the queues),
//! `waiter.rs` (the waiter and the intrusive queue), `ops.rs` (the plain futures' polls
//! and drops), `select_ops.rs` (what a select case does on the channel), `future.rs`,
//! `error.rs`.
//!
//! - **send**, fast path: no receiver parked → push into the buffer, no lock. Slow path,
//!   under the lock: closed → the value comes back; parked receivers → the buffer's older
//!   values go to them first, then this value is *pushed* into the oldest receiver's
//!   waiter (the send is complete, without waiting for the receiver to run); room → into
//!   the buffer; else park in `sendq` with the value.
//! - **recv**, fast path: no sender parked, nothing given back → pop the buffer, no lock.
//!   Slow path: a given-back value, else the buffer's front (the freed slot is refilled
//!   from the oldest parked sender, completing that send), else a parked sender's value
//!   (rendezvous), else closed → `None`, else park in `recvq`.
//!
//! ## Buffer and lock: no lost wake-up
//!
//! The lock-free paths must see a counterpart that parks under the lock. `Parked` holds
//! three flags, written only under the lock: `RECV` (`recvq` not empty), `SEND`
//! (`sendq` not empty), `STASH` (values given back). It is Dekker's pattern, as
//! crossbeam's `SyncWaker::is_empty` and kanal's signals do it:
//!
//! - An operation that may park *raises* its flag, issues a `SeqCst` fence, and then
//!   tries the buffer under the lock (`send_locked`, `recv_locked` with `park`); only if
//!   that fails does it park and sleep.
//! - A lock-free push (pop) issues a `SeqCst` fence after it and reads the flags; if
//!   `RECV` (`SEND`) is set it takes the lock and *settles*: buffered values go to parked
//!   receivers, free slots to parked senders (`Chan::settle`).
//!
//! Of two `SeqCst` fences one comes first: either the parking side's retry sees the
//! push (pop), or the pushing (popping) side sees the flag. So a parked receiver never
//! sleeps beside a buffered value, nor a parked sender beside a free slot, once the
//! operations that raced with its parking have returned. The flags are also a hint
//! *before* a fast path (a send with receivers parked goes to the lock directly, to keep
//! FIFO order among them; a receive with senders parked or values given back likewise).
//!
//! A claimed, unfilled front slot (`Pending`) is a plain push between its two stores when
//! no select holds a reservation (`lazy == 0`): it is waited out (spin, then yield), so a
//! `try_recv` after a completed send always sees the value. Otherwise a select is making
//! the value, and a receive parks: the fill happens under the lock and settles.
//!
//! ## Invariants
//!
//! 1. Once the operations racing with them have returned: `recvq` non-empty ⇒ the buffer
//!    holds no value ready to pop; `sendq` non-empty ⇒ the buffer is full. (The
//!    protocol above; while they race, both may hold for a moment.)
//! 2. Every value is in exactly one place — a send future, a parked send waiter, the
//!    buffer (a ring or list slot), `stash`, a parked receive waiter, or the user's hands.
//!    The buffer's slots move a value in or out whole (`ring.rs`, `list.rs`); every other
//!    move happens under the lock (or, once a counterpart has handed a waiter back as
//!    done, by its owner alone). So no value is lost or duplicated.
//! 3. A waiter belongs to its owner (the future); a counterpart only moves the value,
//!    unlinks the waiter and takes its waker, under the lock, and its last access is the
//!    store that hands the waiter back.
//! 4. No waker is called and no `T` is dropped while the lock is held.
//! 5. `close` sets the flag, closes the buffer (later pushes fail) and wakes every parked
//!    operation. Buffered values are still received; parked senders take their own values
//!    back (`SendError(v)`).
//! 6. Every reservation is filled or cancelled exactly once (a select send case's drop
//!    releases it); `lazy` counts those outstanding. A cancelled reservation is a hole
//!    that pops skip, and a push that finds the ring full passes the holes at its front.
//!
//! ## Cancel safety
//!
//! - A send future dropped while parked takes its waiter — and its value — out: the value
//!   was never sent, and is dropped with the future. Once the send is complete, dropping
//!   the future changes nothing.
//! - A receive future dropped after a value was pushed into its waiter (invariant 2 says
//!   it holds the value): the value was sent, so it is given back — to the next parked
//!   receiver, or to `stash`, which receives take from before the buffer, beyond the
//!   capacity if need be (a pending hand-off: `len()` counts it). Order is kept: it was
//!   sent before anything buffered.
//! - The blocking forms are these futures polled on the calling thread (parking it).
//!
//! The lock is parking_lot's `Mutex`, which spins briefly before it sleeps: no user code
//! runs under it (wakers and drops happen after release), so critical sections are a few
//! dozen instructions and a contended lock is usually free again within the spin; and
//! only parking, hand-offs and selects take it. The
//! blocking forms back off (spin, then yield) before they park their thread, so a
//! hand-off between two busy threads costs no sleep.

mod buffer;
#[cfg(test)]
mod buffer_tests;
#[cfg(all(test, goscope_loom))]
mod buffers_loom;
pub(crate) mod core;
mod error;
mod future;
mod handoff;
mod list;
#[cfg(all(test, goscope_loom))]
mod loom;
mod ops;
mod ring;
pub(crate) mod select_ops;
#[cfg(test)]
mod tests;
pub(crate) mod waiter;

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use self::core::Chan;
pub use self::error::{SendError, TryRecvError, TrySendError};
pub use self::future::{Iter, RecvFuture, SendFuture};
use self::waiter::Waiter;
use crate::loom::Arc;

/// Creates a channel that buffers up to `cap` values; `cap == 0` makes a rendezvous
/// channel, where a send completes only when a receiver takes the value (Go's unbuffered
/// channel).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (tx, rx) = goscope::chan::bounded(1);
/// tx.send("a").await.unwrap();
/// assert!(tx.try_send("b").unwrap_err().is_full());
/// assert_eq!(rx.recv().await, Some("a"));
/// # }
/// ```
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan::new(cap));
    (
        Sender { chan: chan.clone() },
        Receiver { chan, stream: None },
    )
}

/// Creates a channel with an unlimited buffer: sends never wait.
///
/// ```
/// let (tx, rx) = goscope::chan::unbounded();
/// for i in 0..1000 {
///     tx.try_send(i).unwrap();
/// }
/// assert_eq!(rx.len(), 1000);
/// assert_eq!(rx.capacity(), None);
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    bounded(usize::MAX)
}

/// The sending end of a channel. Cheap to clone: all clones send into the same channel.
///
/// The channel closes when the last `Sender` is dropped (or on [`close`](Sender::close)).
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

/// The receiving end of a channel. Cheap to clone: each value goes to exactly one clone.
///
/// Also a [`Stream`](futures_core::Stream) of the values, ending when the channel is
/// closed and drained.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
    /// The waiter of `poll_next`, when used as a `Stream`: boxed, because a `Receiver`
    /// moves; made on its first use and reused.
    stream: Option<Pin<Box<Waiter<T>>>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting while the buffer is full (for a rendezvous channel: until a
    /// receiver takes it).
    ///
    /// Fails with the value in [`SendError`] if the channel is closed (or every receiver
    /// is gone).
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: if the future is dropped before it completes, the value was not sent
    /// (and is dropped with the future); once it completes, the value is in the channel.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (tx, rx) = goscope::chan::bounded(0);
    /// let sender = goscope::go(async move { tx.send(7).await });
    /// assert_eq!(rx.recv().await, Some(7));
    /// assert!(sender.await.unwrap().is_ok());
    /// # }
    /// ```
    pub fn send(&self, value: T) -> SendFuture<'_, T> {
        SendFuture::new(&self.chan, value)
    }

    /// Sends `value` if that can be done now: a receiver is waiting or the buffer has room.
    ///
    /// ```
    /// use goscope::chan::{self, TrySendError};
    /// let (tx, rx) = chan::bounded(0);
    /// assert!(matches!(tx.try_send(1), Err(TrySendError::Full(1)))); // nobody is receiving
    /// drop(rx);
    /// assert!(matches!(tx.try_send(1), Err(TrySendError::Closed(1))));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.chan.try_send(value)
    }

    /// Sends `value`, blocking the thread while the buffer is full.
    ///
    /// For threads that do not run async code; it mixes freely with async ends of the
    /// same channel. Do not call it inside async code: it would block a runtime thread.
    ///
    /// ```
    /// let (tx, rx) = goscope::chan::bounded(0);
    /// let t = std::thread::spawn(move || tx.send_blocking(5));
    /// assert_eq!(rx.recv_blocking(), Some(5));
    /// t.join().unwrap().unwrap();
    /// ```
    pub fn send_blocking(&self, value: T) -> Result<(), SendError<T>> {
        match self.chan.try_send(value) {
            Ok(()) => Ok(()),
            Err(TrySendError::Closed(v)) => Err(SendError(v)),
            Err(TrySendError::Full(v)) => crate::util::block_on::block_on(self.send(v)),
        }
    }
}

impl<T> Receiver<T> {
    /// Receives the next value, waiting until one is sent; `None` once the channel is
    /// closed and every buffered value has been received.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: if the future is dropped before it completes, no value is taken — one
    /// already handed to it goes to another receiver or stays in the channel.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (tx, rx) = goscope::chan::unbounded();
    /// tx.send(1).await.unwrap();
    /// drop(tx);
    /// assert_eq!(rx.recv().await, Some(1));
    /// assert_eq!(rx.recv().await, None);
    /// # }
    /// ```
    pub fn recv(&self) -> RecvFuture<'_, T> {
        RecvFuture::new(&self.chan)
    }

    /// Receives a value if one is ready now.
    ///
    /// ```
    /// use goscope::chan::{self, TryRecvError};
    /// let (tx, rx) = chan::bounded(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(3).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(3));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Receives the next value, blocking the thread; `None` once closed and drained.
    ///
    /// For threads that do not run async code; see [`Sender::send_blocking`].
    ///
    /// ```
    /// let (tx, rx) = goscope::chan::bounded(1);
    /// std::thread::spawn(move || tx.send_blocking("hi").unwrap());
    /// assert_eq!(rx.recv_blocking(), Some("hi"));
    /// ```
    pub fn recv_blocking(&self) -> Option<T> {
        match self.chan.try_recv() {
            Ok(v) => Some(v),
            Err(TryRecvError::Closed) => None,
            Err(TryRecvError::Empty) => crate::util::block_on::block_on(self.recv()),
        }
    }

    /// A blocking iterator over the values, ending when the channel is closed and drained.
    ///
    /// ```
    /// let (tx, rx) = goscope::chan::unbounded();
    /// std::thread::spawn(move || {
    ///     for i in 1..=3 {
    ///         tx.send_blocking(i).unwrap();
    ///     }
    /// });
    /// assert_eq!(rx.iter().sum::<i32>(), 6);
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        Iter::new(self)
    }
}

/// What both ends of a channel can do alike.
macro_rules! common_methods {
    ($end:ident) => {
        impl<T> $end<T> {
            /// Closes the channel, from either end: parked and later sends fail with their
            /// values, receivers get what is buffered and then `None`. Returns `true` if
            /// this call closed it.
            ///
            /// ```
            /// let (tx, rx) = goscope::chan::bounded(2);
            /// tx.try_send(1).unwrap();
            /// assert!(tx.close());
            /// assert!(!rx.close());
            /// assert_eq!(rx.recv_blocking(), Some(1));
            /// assert_eq!(rx.recv_blocking(), None);
            /// ```
            pub fn close(&self) -> bool {
                self.chan.close()
            }

            /// Returns `true` once the channel is closed.
            pub fn is_closed(&self) -> bool {
                self.chan.is_closed()
            }

            /// The number of buffered values (a value given back by a dropped receive
            /// counts, so this can exceed the capacity by such pending hand-offs).
            pub fn len(&self) -> usize {
                self.chan.len()
            }

            /// Returns `true` if no value is buffered.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// The buffer's capacity; `None` for an unbounded channel.
            pub fn capacity(&self) -> Option<usize> {
                self.chan.capacity()
            }

            pub(crate) fn chan(&self) -> &Chan<T> {
                &self.chan
            }
        }
    };
}

common_methods!(Sender);
common_methods!(Receiver);

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.chan.add_receiver();
        Receiver {
            chan: self.chan.clone(),
            stream: None,
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Some(waiter) = &self.stream {
            self.chan.cancel_recv(waiter);
        }
        self.chan.drop_receiver();
    }
}

impl<T> futures_core::Stream for Receiver<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = &mut *self;
        let waiter = this
            .stream
            .get_or_insert_with(|| Box::pin(Waiter::new(false)));
        this.chan.poll_recv(waiter, cx)
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}
