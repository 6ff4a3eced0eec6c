//! What macro expansions call. Not public API: no stability guarantees.

use std::future::Future;

pub use crate::task::Task;
pub use goscope_macros::{all_impl, iter_impl, race_impl, scope_impl, select_impl, stream_impl};

/// Starts the body of a `#[go]` fn as a task named `name` (`&"…"`, promoted to a
/// `'static` thin pointer, keeps the task small).
#[track_caller]
pub fn spawn<T, F>(name: &'static &'static str, fut: F) -> Task<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    crate::task::spawn_named(Some(name), fut)
}

/// Starts the body of a `#[go(blocking)]` fn on the blocking pool as a task named `name`.
#[track_caller]
pub fn spawn_blocking<T, F>(name: &'static &'static str, f: F) -> Task<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    crate::task::spawn_blocking_named(Some(name), f)
}

/// What `select!` and `select_blocking!` expand to.
pub mod select {
    use std::future::Future;
    use std::sync::Arc;
    use std::time::Duration;

    pub use crate::select::case::{Attempt, Case, Finish, FutureCase, RecvCase, SendCase};
    pub use crate::select::engine::{Cases, Engine, SelectMacroFuture};
    pub use crate::select::shared::SelectShared;

    use crate::chan::{Receiver, SendError, Sender};

    /// The receiving end a `recv(…)` case borrows: a reference to a `Receiver`, or to
    /// something that holds one (`&&Receiver`, `&Arc<Receiver>`, `&Box<Receiver>`).
    /// `select!` borrows a place (`recv(rx)`) and passes any other expression as it is.
    #[diagnostic::on_unimplemented(
        message = "`recv(…)` in `select!` needs a goscope `Receiver`, found `{Self}`",
        label = "not a reference to a `goscope::chan::Receiver`",
        note = "write `recv(rx)` or `recv(&rx)` with `rx: goscope::chan::Receiver<T>`"
    )]
    pub trait RecvEnd<'a> {
        /// The channel's item.
        type Item;
        /// The receiver, borrowed for `'a`.
        fn receiver(self) -> &'a Receiver<Self::Item>;
    }

    /// The sending end a `send(…)` case borrows; see [`RecvEnd`].
    #[diagnostic::on_unimplemented(
        message = "`send(…)` in `select!` needs a goscope `Sender`, found `{Self}`",
        label = "not a reference to a `goscope::chan::Sender`",
        note = "write `send(tx, value)` or `send(&tx, value)` with `tx: goscope::chan::Sender<T>`"
    )]
    pub trait SendEnd<'a> {
        /// The channel's item.
        type Item;
        /// The sender, borrowed for `'a`.
        fn sender(self) -> &'a Sender<Self::Item>;
    }

    /// `impl RecvEnd<'a> for &'a X` (or `SendEnd`) for each `X` that holds a `Receiver<T>`.
    macro_rules! ends {
        ($trait:ident, $method:ident, $end:ident: $($ty:ty),*) => {$(
            impl<'a, T> $trait<'a> for &'a $ty {
                type Item = T;
                fn $method(self) -> &'a $end<T> {
                    self
                }
            }
        )*};
    }
    ends!(RecvEnd, receiver, Receiver: Receiver<T>, &Receiver<T>, &mut Receiver<T>, Box<Receiver<T>>, Arc<Receiver<T>>);
    ends!(SendEnd, sender, Sender: Sender<T>, &Sender<T>, &mut Sender<T>, Box<Sender<T>>, Arc<Sender<T>>);

    impl<'a, T> RecvEnd<'a> for &'a mut Receiver<T> {
        type Item = T;
        fn receiver(self) -> &'a Receiver<T> {
            self
        }
    }

    impl<'a, T> SendEnd<'a> for &'a mut Sender<T> {
        type Item = T;
        fn sender(self) -> &'a Sender<T> {
            self
        }
    }

    /// `recv(rx)`.
    pub fn recv<'a, R, O, H>(rx: R, handle: H) -> RecvCase<'a, R::Item, H>
    where
        R: RecvEnd<'a>,
        H: FnOnce(Option<R::Item>) -> Option<O>,
    {
        RecvCase::new(rx.receiver(), handle)
    }

    /// A `select!` whose only case is `recv(rx)`: the receive itself.
    pub fn recv_now<'a, R: RecvEnd<'a>>(rx: R) -> crate::chan::RecvFuture<'a, R::Item> {
        rx.receiver().recv()
    }

    /// `select_blocking!` whose only case is `recv(rx)`.
    pub fn recv_blocking_now<'a, R: RecvEnd<'a> + 'a>(rx: R) -> Option<R::Item> {
        rx.receiver().recv_blocking()
    }

    /// A `select!` whose only case is `recv(rx)`, with `default`: `None` if nothing is
    /// ready, `Some(None)` if closed and drained.
    pub fn try_recv_now<'a, R: RecvEnd<'a> + 'a>(rx: R) -> Option<Option<R::Item>> {
        match rx.receiver().try_recv() {
            Ok(v) => Some(Some(v)),
            Err(crate::chan::TryRecvError::Closed) => Some(None),
            Err(crate::chan::TryRecvError::Empty) => None,
        }
    }

    /// Every case of a `select!` without `default` is disabled.
    #[cold]
    #[track_caller]
    pub fn all_disabled() -> ! {
        crate::select::engine::all_disabled()
    }

    /// `send(tx, value)`: `value` is called only if the case is chosen.
    pub fn send<'a, S, V, O, H>(tx: S, value: V, handle: H) -> SendCase<'a, S::Item, V, H>
    where
        S: SendEnd<'a>,
        V: FnOnce() -> S::Item,
        H: FnOnce(Result<(), SendError<S::Item>>) -> Option<O>,
    {
        SendCase::new(tx.sender(), value, handle)
    }

    /// `pattern = future`, the future pinned on the caller's stack.
    pub fn future<F, O, H>(fut: F, handle: H) -> FutureCase<F, H>
    where
        F: Future + Unpin,
        H: FnOnce(F::Output) -> Option<O>,
    {
        FutureCase::new(fut, handle)
    }

    /// `after(duration)`.
    pub fn after(duration: Duration) -> crate::After {
        crate::after(duration)
    }

    /// A `select!` with `default`: one pass; `None` runs `default`.
    pub fn try_select<O, S: Cases<O>>(cases: S, order: &mut [usize], biased: bool) -> Option<O> {
        Engine::new(cases, order, biased).try_once()
    }

    /// `select_blocking!` without `default`.
    pub fn blocking<O, S: Cases<O>>(cases: S, order: &mut [usize], biased: bool) -> O {
        crate::util::block_on::block_on(SelectMacroFuture::new(cases, order, biased))
    }
}

/// What `scope!` expands to: `run(&new()…, async { body })`, each option a call around
/// `new()`.
pub mod scope {
    use std::time::Duration;

    pub use crate::scope::{Handle, Scope, ScopeError, run, typed};

    /// A new, empty scope (nested in the current one, if any).
    #[track_caller]
    pub fn new<'env, E: Send + 'env>() -> Scope<'env, E> {
        Scope::new()
    }

    /// `timeout = d`.
    pub fn timeout<'env, E: Send + 'env>(scope: Scope<'env, E>, d: Duration) -> Scope<'env, E> {
        scope.timeout(d)
    }

    /// `limit = n` (panics on 0, at the option).
    #[track_caller]
    pub fn limit<'env, E: Send + 'env>(scope: Scope<'env, E>, n: usize) -> Scope<'env, E> {
        scope.limit(n)
    }

    /// `supervise`.
    pub fn supervise<'env, E: Send + 'env>(scope: Scope<'env, E>) -> Scope<'env, E> {
        scope.supervise()
    }
}

/// What `all!` and `race!` expand to.
pub mod join {
    pub use crate::combinators::join::Branch;
    pub use crate::combinators::race::{start, timer};
    pub use crate::error::Error;
    pub use pin_project_lite::pin_project;
}

/// What `#[generator]`, `iter!`, `stream!`, `yield_!` and `yield_from!` expand to.
pub mod generator {
    /// An item type `Result<U, E>`: the body's `?` yields its `Err` as the last item.
    pub trait ResultItem {
        /// `E`.
        type Error;
        /// `Err(error)`.
        fn from_error(error: Self::Error) -> Self;
    }

    impl<U, E> ResultItem for Result<U, E> {
        type Error = E;
        fn from_error(error: E) -> Self {
            Err(error)
        }
    }

    /// The next item of a pinned stream (for `yield_from!` in an async generator).
    pub async fn next<S: futures_core::Stream + ?Sized>(
        stream: &mut std::pin::Pin<&mut S>,
    ) -> Option<S::Item> {
        std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await
    }
}
