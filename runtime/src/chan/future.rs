//! The send and receive futures, each holding the waiter it parks (so `!Unpin`), and the
//! blocking iterator.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::Receiver;
use super::core::Chan;
use super::error::SendError;
use super::waiter::Waiter;

pin_project! {
    /// Sends a value.
    ///
    /// This `struct` is created by [`Sender::send`](super::Sender::send). Cancel-safe: see
    /// there. It is `!Unpin`: the channel links to the waiter inside it while it waits,
    /// so pin it to poll it by hand (`.await` and `tokio::select!` do).
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct SendFuture<'a, T> {
        chan: &'a Chan<T>,
        // The value, until it leaves the future (buffered, handed over, or parked in the
        // waiter).
        value: Option<T>,
        #[pin]
        waiter: Waiter<T>,
    }

    impl<T> PinnedDrop for SendFuture<'_, T> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            this.chan.cancel_send(this.waiter.into_ref().get_ref());
        }
    }
}

impl<'a, T> SendFuture<'a, T> {
    pub(super) fn new(chan: &'a Chan<T>, value: T) -> Self {
        SendFuture {
            chan,
            value: Some(value),
            waiter: Waiter::new(true),
        }
    }
}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        this.chan
            .poll_send(this.value, this.waiter.into_ref().get_ref(), cx)
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("parked", &(!self.waiter.is_free()))
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// Receives a value.
    ///
    /// This `struct` is created by [`Receiver::recv`]. Cancel-safe: see there. It is
    /// `!Unpin`, like [`SendFuture`].
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct RecvFuture<'a, T> {
        chan: &'a Chan<T>,
        #[pin]
        waiter: Waiter<T>,
    }

    impl<T> PinnedDrop for RecvFuture<'_, T> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            this.chan.cancel_recv(this.waiter.into_ref().get_ref());
        }
    }
}

impl<'a, T> RecvFuture<'a, T> {
    pub(super) fn new(chan: &'a Chan<T>) -> Self {
        RecvFuture {
            chan,
            waiter: Waiter::new(false),
        }
    }
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Option<T>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.project();
        this.chan.poll_recv(this.waiter.into_ref().get_ref(), cx)
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture")
            .field("parked", &(!self.waiter.is_free()))
            .finish_non_exhaustive()
    }
}

/// A blocking iterator over a channel's values.
///
/// This `struct` is created by [`Receiver::iter`].
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

impl<'a, T> Iter<'a, T> {
    pub(super) fn new(rx: &'a Receiver<T>) -> Self {
        Iter { rx }
    }
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.rx.recv_blocking()
    }
}

/// `for v in &rx { … }`: Go's `for v := range ch`, blocking the thread.
///
/// ```
/// let (tx, rx) = goscope::chan::bounded(4);
/// std::thread::spawn(move || {
///     for word in ["a", "b"] {
///         tx.send_blocking(word).unwrap();
///     }
/// });
/// let mut got = String::new();
/// for word in &rx {
///     got.push_str(word);
/// }
/// assert_eq!(got, "ab");
/// ```
impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter").finish_non_exhaustive()
    }
}
