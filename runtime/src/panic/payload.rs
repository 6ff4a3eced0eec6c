//! [`PanicPayload`]: a panic's payload that may be shared between threads.
//!
//! # Design
//!
//! `catch_unwind` returns the payload as `Box<dyn Any + Send>`: it may be moved to another
//! thread but not shared, because the concrete type behind it need not be `Sync`
//! (`std::panic::panic_any(Cell::new(1))` is allowed). An error that holds it is then not
//! `Sync`, and so cannot become an `anyhow::Error`, an `eyre::Report` or a
//! `Box<dyn Error + Send + Sync>`.
//!
//! The wrapper is `Sync` because a shared reference to it reaches the value only in ways
//! that are sound to share (the argument tokio's `JoinError` makes for its payload):
//!
//! 1. [`PanicPayload::downcast_ref`] hands out `&T` only for `T: Sync`, so threads that
//!    share the payload share only references that `T` allows to be shared.
//! 2. [`PanicPayload::is`] compares type ids. `Any::type_id` is implemented once, by the
//!    blanket impl, and returns a constant without reading the value.
//! 3. Everything else — [`downcast_mut`](PanicPayload::downcast_mut),
//!    [`into_inner`](PanicPayload::into_inner) — needs `&mut self` or `self`, which the
//!    borrow checker makes exclusive, and `Box<dyn Any + Send>` may move between threads.
//!
//! No method hands out `&(dyn Any + Send)` from `&self`: that would let two threads
//! downcast to a non-`Sync` type at once.

use std::any::Any;
use std::fmt;

/// The payload of a captured panic: the value `panic!` was called with.
///
/// [`PanicError::payload`](crate::PanicError::payload) lends it;
/// [`PanicError::into_panic`](crate::PanicError::into_panic) gives back the original
/// `Box<dyn Any + Send>` for [`std::panic::resume_unwind`]. It is `Send + Sync` whatever
/// the payload's type, which is what lets [`PanicError`](crate::PanicError) and
/// [`Error`](crate::Error) go into `anyhow::Error`: a shared reference reads the value only
/// as a `Sync` type ([`downcast_ref`](Self::downcast_ref)), or tests its type
/// ([`is`](Self::is)).
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let err = goscope::go(async { std::panic::panic_any(404_u16) }).await.unwrap_err();
/// let panic = err.into_panic().unwrap();
/// assert!(panic.payload().is::<u16>());
/// assert_eq!(panic.payload().downcast_ref::<u16>(), Some(&404));
/// # }
/// ```
pub struct PanicPayload(Box<dyn Any + Send + 'static>);

// SAFETY: a `&PanicPayload` reaches the boxed value only through `downcast_ref`, which
// yields `&T` for `T: Sync` alone, and through `is`, which calls `Any::type_id` — the one
// blanket impl, which never reads the value. Mutable and owning access need `&mut self` or
// `self`. So sharing a `&PanicPayload` between threads shares nothing that is not `Sync`
// (invariants 1–3 of the module docs; `tests` exercise them across threads under Miri).
unsafe impl Sync for PanicPayload {}

impl PanicPayload {
    pub(crate) fn new(payload: Box<dyn Any + Send + 'static>) -> Self {
        PanicPayload(payload)
    }

    /// Returns `true` if the payload is a `T`.
    ///
    /// ```
    /// let code = std::env::args().count(); // known only at run time
    /// let caught = std::panic::catch_unwind(|| panic!("exit code {code}")).unwrap_err();
    /// let panic = goscope::PanicError::from_panic(caught);
    /// assert!(panic.payload().is::<String>()); // a formatted message is a `String`
    /// ```
    pub fn is<T: Any>(&self) -> bool {
        (*self.0).type_id() == std::any::TypeId::of::<T>()
    }

    /// The payload as a `T`, if it is one. `T` must be `Sync`: the payload may be shared
    /// between threads (use [`downcast_mut`](Self::downcast_mut) for other types).
    ///
    /// ```
    /// let caught = std::panic::catch_unwind(|| panic!("plain")).unwrap_err();
    /// let panic = goscope::PanicError::from_panic(caught);
    /// assert_eq!(panic.payload().downcast_ref::<&str>(), Some(&"plain"));
    /// assert_eq!(panic.payload().downcast_ref::<String>(), None);
    /// ```
    pub fn downcast_ref<T: Any + Sync>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }

    /// The payload as a `&mut T`, if it is one; any `T`, since `&mut self` is exclusive.
    ///
    /// ```
    /// use std::cell::Cell;
    ///
    /// let caught = std::panic::catch_unwind(|| std::panic::panic_any(Cell::new(1))).unwrap_err();
    /// let mut panic = goscope::PanicError::from_panic(caught);
    /// assert_eq!(panic.payload_mut().downcast_mut::<Cell<i32>>().map(|c| c.get()), Some(1));
    /// ```
    pub fn downcast_mut<T: Any>(&mut self) -> Option<&mut T> {
        self.0.downcast_mut()
    }

    /// The original payload, as `catch_unwind` returned it.
    ///
    /// ```should_panic
    /// let caught = std::panic::catch_unwind(|| panic!("again")).unwrap_err();
    /// let panic = goscope::PanicError::from_panic(caught);
    /// std::panic::resume_unwind(panic.into_panic());
    /// ```
    pub fn into_inner(self) -> Box<dyn Any + Send + 'static> {
        self.0
    }
}

impl fmt::Debug for PanicPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PanicPayload").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::panic::AssertUnwindSafe;
    use std::sync::Barrier;

    use super::PanicPayload;

    fn assert_send_sync<T: Send + Sync>(_: &T) {}

    #[test]
    fn shared_between_threads_reads_only_sync_types() {
        let payload = PanicPayload::new(Box::new(String::from("boom")));
        assert_send_sync(&payload);
        let barrier = Barrier::new(2);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    barrier.wait();
                    assert!(payload.is::<String>());
                    assert_eq!(
                        payload.downcast_ref::<String>().map(String::as_str),
                        Some("boom")
                    );
                    assert!(payload.downcast_ref::<&str>().is_none());
                });
            }
        });
    }

    #[test]
    fn a_non_sync_payload_is_tested_shared_and_read_exclusively() {
        let mut payload = PanicPayload::new(Box::new(Cell::new(7_u32)));
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| assert!(payload.is::<Cell<u32>>() && !payload.is::<u32>()));
            }
        });
        let cell = payload.downcast_mut::<Cell<u32>>().unwrap();
        cell.set(cell.get() + 1);
        // Moved to another thread and opened there.
        let back =
            std::thread::spawn(move || payload.into_inner().downcast::<Cell<u32>>().unwrap().get());
        assert_eq!(back.join().unwrap(), 8);
    }

    #[test]
    fn into_inner_rethrows_the_original_payload() {
        let caught = std::panic::catch_unwind(|| std::panic::panic_any(42_i64)).unwrap_err();
        let payload = AssertUnwindSafe(PanicPayload::new(caught));
        let again = std::panic::catch_unwind(move || {
            let whole = payload; // the closure captures the wrapper, not its field
            std::panic::resume_unwind(whole.0.into_inner())
        });
        assert_eq!(again.unwrap_err().downcast_ref::<i64>(), Some(&42));
    }
}
