//! The `select!` and `select_blocking!` wrappers: they hand `$crate` to the proc macro.

/// Waits on several channel operations and futures and runs the body of the one that
/// completes first: Go's `select`.
///
/// ```text
/// select! {
///     [biased;]                                  // try cases in order, not at random
///     pattern = recv(rx) [, if guard] => body,   // Option<T>: None once closed and drained
///     recv(rx) [, if guard] => body,             // the value is dropped
///     pattern = send(tx, value) [, if guard] => body, // Result<(), SendError<T>>
///     send(tx, value) [, if guard] => body,
///     pattern = future [, if guard] => body,     // any future (IntoFuture)
///     pattern = after(duration) [, if guard] => body, // a timer: goscope::after
///     default => body,                           // no case ready now: don't wait
/// }
/// ```
///
/// Exactly one case runs. Bodies are blocks or expressions with the comma rules of
/// `match` arms, and run in the enclosing code: `break`, `continue`, `return`, `?` and
/// labelled breaks act there. `select!` awaits, so it belongs in async code; with a
/// `default` case it never waits and works anywhere. On a thread outside the runtime, use
/// [`select_blocking!`](crate::select_blocking).
///
/// - **Lazy sends.** A send case's value expression is evaluated only when that case is
///   chosen, so a send that loses computes, moves and loses nothing:
///   `send(tx, pending.take().unwrap()), if pending.is_some()` is a correct retry loop.
///   It runs inside the select, so it cannot use `?`, `return` or `.await`; and since
///   every send case holds its value expression (a closure) until the select is done, two
///   send cases cannot both move out of one variable (`pending.take()` twice): copy or
///   clone the value in each (`send(a, v.clone())`; only the chosen case runs).
/// - **Borrowing.** Channel expressions are borrowed, not moved (`recv(rx)` and
///   `recv(&rx)` are the same), so a `select!` in a loop needs no clones. A receive case
///   that is not chosen takes nothing.
/// - **Fairness.** Among ready cases the choice is uniformly random (a full shuffle per
///   `select!`; [`select::seed`](crate::select::seed) makes it reproducible). `biased;`
///   tries them in the order written. The races draw from the same per-thread generator,
///   by their own rule: see [`race`](fn@crate::race#which-of-several-ready-futures-wins).
/// - **Guards.** `, if cond` disables a case when `cond` is false; its channel, value and
///   future expressions are then not evaluated.
/// - **Patterns.** A case whose output does not match its pattern is disabled for this
///   `select!`, which goes on waiting for the others (its output is dropped):
///   `Some(job) = recv(jobs)` stops listening to `jobs` once it is closed.
/// - **Closed channels.** A receive on a closed, drained channel is ready with `None`; a
///   send on a closed channel is ready with `Err(SendError(value))`: the value comes back.
///
/// The engine, its protocol and its guarantees are described in [the `select` module](mod@crate::select).
///
/// # Examples
///
/// A worker loop with a quit channel and a timeout:
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use goscope::{chan, select};
///
/// let (jobs_tx, jobs) = chan::bounded::<u32>(8);
/// let (quit_tx, quit) = chan::bounded::<()>(1);
/// for job in [1, 2, 3] {
///     jobs_tx.send(job).await.unwrap();
/// }
/// let mut done = Vec::new();
/// loop {
///     select! {
///         biased;
///         _ = recv(quit) => break,
///         Some(job) = recv(jobs) => {
///             done.push(job * 10);
///             if done.len() == 3 {
///                 quit_tx.send(()).await.unwrap();
///             }
///         }
///         _ = goscope::after(Duration::from_secs(1)) => panic!("no job came"),
///     }
/// }
/// assert_eq!(done, [10, 20, 30]);
/// # }
/// ```
///
/// A send that is retried until it goes through, computing nothing when it loses:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goscope::{chan, select};
///
/// let (out, out_rx) = chan::bounded::<String>(1);
/// let (ticks_tx, ticks) = chan::bounded::<()>(4);
/// ticks_tx.send(()).await.unwrap();
/// let mut pending = Some("report".to_owned());
/// let mut ticked = 0;
/// while pending.is_some() || ticked == 0 {
///     select! {
///         send(out, pending.take().unwrap()), if pending.is_some() => {}
///         _ = recv(ticks) => ticked += 1,
///     }
/// }
/// assert_eq!(out_rx.recv().await.as_deref(), Some("report"));
/// # }
/// ```
///
/// `default` makes it non-blocking:
///
/// ```
/// use goscope::{chan, select};
///
/// let (tx, rx) = chan::bounded::<u8>(1);
/// let poll = || select! {
///     v = recv(rx) => v,
///     default => None,
/// };
/// assert_eq!(poll(), None);
/// tx.try_send(3).unwrap();
/// assert_eq!(poll(), Some(3));
/// ```
///
/// # Expansion
///
/// The cases are pinned on the stack and borrowed as a nested tuple, each wrapping its
/// channel end (or its future, pinned on the stack too) and a handler that matches the pattern and wraps the
/// bindings in a local enum; the select engine runs them, then a `match` on that enum runs
/// the chosen body in the caller's code. No heap allocation unless the select has to park
/// (then one, for the state it shares with the channels it parks on):
///
/// ```text
/// select! {
///     Some(job) = recv(rx) => body0,
///     after(d) => body1,
/// }
/// // becomes
/// {
///     enum __GoscopeSelectOut<__T0, __T1,> { __0(__T0), __1(__T1), }
///     let __goscope_out = {
///         // a channel case: the channel end, and a handler that matches the pattern,
///         // pinned on the stack (it holds the waiter the channel links to if it parks)
///         let mut __goscope_c0 = pin!(Option::Some(recv(&(rx), |__goscope_value| {
///             let __goscope_case_out = match __goscope_value {
///                 Some(job) => Option::Some(__GoscopeSelectOut::__0((job,))),
///                 _ => Option::None,
///             };
///             __goscope_case_out
///         })));
///         // a future case: the future, pinned on the stack
///         let __goscope_c1_fut = pin!(Option::Some(after(d)));
///         let mut __goscope_c1 = pin!(Option::map(
///             Option::as_pin_mut(__goscope_c1_fut),
///             |fut| future(fut, |_| Option::Some(__GoscopeSelectOut::__1(()))),
///         ));
///         let mut __goscope_order = [0usize; 2usize];
///         // the engine runs the cases, borrowed in a nested tuple
///         SelectMacroFuture::new(
///             (__goscope_c0.as_mut(), (__goscope_c1.as_mut(), ())),
///             &mut __goscope_order,
///             false // `biased;`
///         ).await
///     }; // every case is dropped here, before a body runs
///     match __goscope_out {
///         __GoscopeSelectOut::__0((job,)) => body0,
///         __GoscopeSelectOut::__1(()) => body1,
///     }
/// }
/// ```
///
/// # Cancellation
///
/// Dropping a `select!` while it waits (its enclosing future is dropped) makes no case
/// happen: no value is taken, none is sent, and a value already handed to one of its
/// receive cases goes back to the channel.
///
/// # Panics
///
/// If every case is disabled (guards false, patterns refused) and there is no `default`,
/// the `select!` could never complete: it panics with a message that says so. Write a
/// `default` case to handle that state. A panic in a send case's value expression
/// unwinds out of the `select!` with nothing sent.
///
/// # Errors at compile time
///
/// Malformed cases are spanned errors that name the accepted forms. A `select!` without
/// `default` awaits, so it is rejected outside async code:
///
/// ```compile_fail
/// fn not_async(rx: goscope::chan::Receiver<u8>) {
///     goscope::select! { v = recv(rx) => drop(v) }
/// }
/// ```
///
/// A send case's value is computed inside the select, so `?` cannot reach the caller:
///
/// ```compile_fail
/// async fn f(tx: goscope::chan::Sender<u8>, s: &str) -> Result<(), std::num::ParseIntError> {
///     goscope::select! { send(tx, s.parse()?) => {} }
///     Ok(())
/// }
/// ```
#[macro_export]
macro_rules! select {
    ($($tokens:tt)*) => {
        $crate::__private::select_impl!(($crate) async $($tokens)*)
    };
}

/// [`select!`](crate::select!) for threads outside the async runtime: the same syntax and
/// guarantees, parking the thread while no case is ready.
///
/// Mixes freely with async code on the other ends of the channels. `after(d)` cases work
/// here too (outside a runtime they use a helper thread). Do not call it inside async
/// code: it would block a runtime thread.
///
/// ```
/// use goscope::{chan, select_blocking};
///
/// let (tx, rx) = chan::bounded::<&str>(0);
/// let (done_tx, done) = chan::bounded::<()>(0);
/// let worker = std::thread::spawn(move || {
///     let mut got = Vec::new();
///     loop {
///         select_blocking! {
///             Some(msg) = recv(rx) => got.push(msg),
///             _ = recv(done) => return got,
///         }
///     }
/// });
/// tx.send_blocking("a").unwrap();
/// tx.send_blocking("b").unwrap();
/// done_tx.send_blocking(()).unwrap();
/// assert_eq!(worker.join().unwrap(), ["a", "b"]);
/// ```
#[macro_export]
macro_rules! select_blocking {
    ($($tokens:tt)*) => {
        $crate::__private::select_impl!(($crate) blocking $($tokens)*)
    };
}
