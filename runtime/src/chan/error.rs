//! The channel's errors. Every error of a send carries the value back: nothing is lost.

use std::fmt;

/// A [`send`](super::Sender::send) on a closed channel: the value comes back in `.0`.
///
/// ```
/// let (tx, rx) = goscope::chan::bounded::<String>(1);
/// rx.close();
/// let err = tx.send_blocking("hello".to_owned()).unwrap_err();
/// assert_eq!(err.0, "hello");
/// assert_eq!(err.to_string(), "sending on a closed channel");
/// ```
#[derive(PartialEq, Eq, Clone, Copy, thiserror::Error)]
#[error("sending on a closed channel")]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

/// A [`try_send`](super::Sender::try_send) that could not send now: the value comes back.
///
/// ```
/// use goscope::chan::{self, TrySendError};
///
/// let (tx, _rx) = chan::bounded(1);
/// tx.try_send(1).unwrap();
/// let err = tx.try_send(2).unwrap_err();
/// assert!(matches!(err, TrySendError::Full(2)));
/// assert_eq!(err.to_string(), "sending on a full channel");
/// ```
#[derive(PartialEq, Eq, Clone, Copy, thiserror::Error)]
pub enum TrySendError<T> {
    /// The buffer is full (or, for a rendezvous channel, no receiver is waiting).
    #[error("sending on a full channel")]
    Full(T),
    /// The channel is closed.
    #[error("sending on a closed channel")]
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Closed(v) => v,
        }
    }

    /// Returns `true` for [`TrySendError::Full`].
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// Returns `true` for [`TrySendError::Closed`].
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(err: SendError<T>) -> Self {
        TrySendError::Closed(err.0)
    }
}

/// A [`try_recv`](super::Receiver::try_recv) that found no value.
///
/// ```
/// use goscope::chan::{self, TryRecvError};
///
/// let (tx, rx) = chan::bounded::<u8>(1);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// assert_eq!(TryRecvError::Closed.to_string(), "receiving on a closed and empty channel");
/// ```
#[derive(Debug, PartialEq, Eq, Clone, Copy, thiserror::Error)]
pub enum TryRecvError {
    /// Nothing is buffered and no sender is waiting; the channel is open.
    #[error("receiving on an empty channel")]
    Empty,
    /// The channel is closed and every buffered value has been received.
    #[error("receiving on a closed and empty channel")]
    Closed,
}
