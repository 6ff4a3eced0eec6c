//! The select loop, generic over how the cases are stored: boxed in a `Vec` by the
//! [`Select`](super::Select) builder, or on the caller's stack by the `select!` macro,
//! which passes them as a nested tuple of references (`(&mut Option<C0>, (&mut
//! Option<C1>, ()))`, no allocation). Both run this one loop, which keeps
//! the protocol described in the module docs of [`select`](super).
//!
//! A case may be *disabled*: its guard was false (the macro stores `None`), or it
//! completed with a value its pattern refuses (`Attempt::Disabled`, `Finish::Ready(None)`).
//! A disabled case is dropped and skipped from then on; the select goes on waiting for
//! the others, as if that case had never been listed. If every case is disabled the
//! select cannot complete: it panics (`select!` without `default`).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::task::noop_waker_ref;

use super::case::{Attempt, Case, Finish};
use super::shared::{Begin, SelectShared};
use crate::loom::Arc;

/// A fixed set of cases, indexed `0..len()`; a disabled case is `None`.
#[allow(clippy::len_without_is_empty)] // a select has a fixed number of cases
pub trait Cases<O> {
    /// The number of cases, disabled ones included.
    fn len(&self) -> usize;
    /// Case `i`, unless it is disabled.
    fn get(&mut self, i: usize) -> Option<&mut dyn Case<O>>;
    /// Drops case `i`; it is skipped from now on.
    fn disable(&mut self, i: usize);
    /// [`Case::attempt`] on case `i` of this list, which is case `index` of the select;
    /// `None` if it is disabled. (The hot path: the cons list dispatches it statically.)
    #[inline]
    fn attempt(
        &mut self,
        i: usize,
        index: usize,
        sel: Option<&Arc<SelectShared>>,
        register: bool,
        cx: &mut Context<'_>,
    ) -> Option<Attempt<O>> {
        self.get(i)
            .map(|case| case.attempt(sel, index, register, cx))
    }
}

impl<O> Cases<O> for () {
    fn len(&self) -> usize {
        0
    }

    fn get(&mut self, _: usize) -> Option<&mut dyn Case<O>> {
        None
    }

    fn disable(&mut self, _: usize) {}
}

/// The macro's cons list: case 0, pinned on the caller's stack (the cases stay where
/// they were built, since a channel case holds the waiter its channel links to; the future
/// holds a pinned pointer per case), then the rest.
impl<O, C: Case<O>, R: Cases<O>> Cases<O> for (Pin<&mut Option<C>>, R) {
    #[inline]
    fn len(&self) -> usize {
        1 + self.1.len()
    }

    #[inline]
    fn get(&mut self, i: usize) -> Option<&mut dyn Case<O>> {
        if i == 0 {
            pinned_case(self.0.as_mut()).map(|c| c as &mut dyn Case<O>)
        } else {
            self.1.get(i - 1)
        }
    }

    #[inline]
    fn attempt(
        &mut self,
        i: usize,
        index: usize,
        sel: Option<&Arc<SelectShared>>,
        register: bool,
        cx: &mut Context<'_>,
    ) -> Option<Attempt<O>> {
        if i == 0 {
            pinned_case(self.0.as_mut()).map(|c| c.attempt(sel, index, register, cx))
        } else {
            self.1.attempt(i - 1, index, sel, register, cx)
        }
    }

    fn disable(&mut self, i: usize) {
        if i == 0 {
            // Dropped in place: its `Drop` takes its waiter out of the channel.
            self.0.set(None);
        } else {
            self.1.disable(i - 1);
        }
    }
}

/// The pinned case, to call its `&mut self` methods.
#[inline]
fn pinned_case<C>(case: Pin<&mut Option<C>>) -> Option<&mut C> {
    // SAFETY: the `Case` methods never move the case out of `&mut self` (its contract,
    // kept by every case in `case.rs`): it stays pinned, and is dropped in place by
    // `disable` or when the caller's pin goes out of scope.
    unsafe { case.get_unchecked_mut() }.as_mut()
}

/// The builder's cases.
impl<'a, O> Cases<O> for Vec<Option<Box<dyn Case<O> + Send + 'a>>> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn get(&mut self, i: usize) -> Option<&mut dyn Case<O>> {
        match &mut self[i] {
            Some(case) => Some(&mut **case),
            None => None,
        }
    }

    fn disable(&mut self, i: usize) {
        self[i] = None;
    }
}

/// Passes a non-blocking select makes while its channels keep changing under it.
pub(crate) const TRY_ROUNDS: usize = 16;

/// What one pass over the cases found.
enum Pass<O> {
    Ready(O),
    /// The select is committed to a hand-off that has not arrived yet.
    Committed,
    /// A case completed but was refused and is now disabled: pass again.
    Again,
    NotReady,
    /// Every case is disabled.
    Disabled,
}

/// The state of one select invocation over the cases `S`, tried in the order `A`.
pub struct Engine<O, S: Cases<O>, A> {
    cases: S,
    order: A,
    /// Positions of `order` already drawn (all of them if biased).
    drawn: usize,
    /// Created when the select first has to park.
    shared: Option<Arc<SelectShared>>,
    done: bool,
    output: PhantomData<fn() -> O>,
}

impl<O, S: Cases<O>, A: AsMut<[usize]>> Engine<O, S, A> {
    /// An engine over `cases`; `order` has one slot per case (its contents are
    /// overwritten): they are tried in a uniformly random order, or in the order given if
    /// `biased`.
    ///
    /// The random order is drawn lazily, one position at a time as a pass reaches it (an
    /// incremental Fisher–Yates shuffle, which yields the same uniform distribution), so
    /// a select whose first case tried is ready draws one random number, not `n`. Later
    /// passes reuse the order drawn so far.
    pub fn new(cases: S, mut order: A, biased: bool) -> Self {
        let slots = order.as_mut();
        slots.iter_mut().enumerate().for_each(|(i, o)| *o = i);
        let drawn = if biased || slots.len() <= 1 {
            slots.len()
        } else {
            0
        };
        Engine {
            cases,
            order,
            drawn,
            shared: None,
            done: false,
            output: PhantomData,
        }
    }

    /// The cases back, untouched but for those disabled (nothing parked: only after
    /// [`Engine::try_once`]).
    pub(crate) fn into_cases(mut self) -> S
    where
        S: Default,
    {
        debug_assert!(self.shared.is_none());
        self.done = true;
        std::mem::take(&mut self.cases)
    }

    /// One pass over the cases in order: the first that is ready (or commits) ends it.
    /// With `seen` (a non-blocking select), adds up the change count of each channel just
    /// before its attempt.
    fn pass(
        &mut self,
        sel: Option<&Arc<SelectShared>>,
        register: bool,
        cx: &mut Context<'_>,
        mut seen: Option<&mut usize>,
    ) -> Pass<O> {
        let mut any = false;
        let n = self.cases.len();
        for k in 0..n {
            let order = self.order.as_mut();
            if k >= self.drawn {
                let j = k + crate::util::rand::below(n - k);
                order.swap(k, j);
                self.drawn = k + 1;
            }
            let i = order[k];
            if let Some(seen) = seen.as_deref_mut()
                && let Some(version) = self.cases.get(i).and_then(|case| case.version())
            {
                *seen = seen.wrapping_add(version);
            }
            let Some(attempt) = self.cases.attempt(i, i, sel, register, cx) else {
                continue;
            };
            any = true;
            match attempt {
                Attempt::NotReady => {}
                Attempt::Ready(out) => {
                    // A first pass parks nothing: no other case has an entry to remove.
                    if sel.is_some() {
                        unregister_others(&mut self.cases, i, true);
                    }
                    return Pass::Ready(out);
                }
                Attempt::Committed => {
                    unregister_others(&mut self.cases, i, false);
                    return Pass::Committed;
                }
                Attempt::Disabled => {
                    self.refused(i, sel);
                    return Pass::Again;
                }
            }
        }
        if any { Pass::NotReady } else { Pass::Disabled }
    }

    /// Case `i` completed with a value its pattern refused: drop it, and reopen the
    /// select (it had committed to `i`; the other cases' entries are withdrawn first, so
    /// no counterpart can claim one before the next pass).
    fn refused(&mut self, i: usize, sel: Option<&Arc<SelectShared>>) {
        unregister_others(&mut self.cases, i, false);
        self.cases.disable(i);
        if let Some(sel) = sel {
            sel.reopen();
        }
    }

    /// `default`: one pass that parks nothing; `None` if no case is ready (or every case
    /// is disabled).
    ///
    /// "No case is ready" is an instant, as in Go (whose select locks all its channels
    /// at once): each channel case reads its channel's change count before its attempt,
    /// and after a pass that found nothing the counts are read again. If none changed,
    /// every channel was not ready from its attempt until the re-read, so at the end of
    /// the pass none was; if one changed, the pass runs again (up to [`TRY_ROUNDS`]
    /// times; under that much churn `default` runs). Go's nonblocking-select race test
    /// checks exactly this.
    pub fn try_once(&mut self) -> Option<O> {
        let mut cx = Context::from_waker(noop_waker_ref());
        for _ in 0..TRY_ROUNDS {
            let mut seen = 0;
            match self.pass(None, false, &mut cx, Some(&mut seen)) {
                Pass::Ready(out) => {
                    self.done = true;
                    return Some(out);
                }
                Pass::Again => {}
                Pass::Committed => {
                    unreachable!("a non-registering pass does not commit to a hand-off")
                }
                Pass::Disabled => return None,
                Pass::NotReady => {
                    let now = (0..self.cases.len())
                        .filter_map(|i| self.cases.get(i).and_then(|case| case.version()))
                        .fold(0usize, usize::wrapping_add);
                    if now == seen {
                        return None;
                    }
                }
            }
        }
        None
    }

    /// Polls the select: the protocol's loop.
    pub fn poll_select(&mut self, cx: &mut Context<'_>) -> Poll<O> {
        assert!(!self.done, "a select polled after completion");
        if self.shared.is_none() {
            // First poll: passes that park nothing.
            loop {
                match self.pass(None, false, cx, None) {
                    Pass::Ready(out) => {
                        self.done = true;
                        return Poll::Ready(out);
                    }
                    Pass::Again => {}
                    Pass::Committed => {
                        unreachable!("a non-registering pass does not commit to a hand-off")
                    }
                    Pass::NotReady => break,
                    Pass::Disabled => all_disabled(),
                }
            }
            self.shared = Some(Arc::new(SelectShared::new()));
        }
        let shared = self.shared.clone().expect("created above");
        shared.register_waker(cx.waker());
        loop {
            if let Begin::Selected(k) = shared.begin() {
                let case = self.cases.get(k).expect("a disabled case has no entries");
                match case.finish() {
                    Finish::Ready(Some(out)) => {
                        unregister_others(&mut self.cases, k, true);
                        self.done = true;
                        return Poll::Ready(out);
                    }
                    Finish::Ready(None) => {
                        self.refused(k, Some(&shared));
                        continue;
                    }
                    Finish::Pending => return Poll::Pending,
                    // The hand-off was called off; the state is POLLING again: poll anew.
                    Finish::Released => continue,
                }
            }
            match self.pass(Some(&shared), true, cx, None) {
                Pass::Ready(out) => {
                    self.done = true;
                    return Poll::Ready(out);
                }
                Pass::Committed => return Poll::Pending,
                Pass::Again => {}
                Pass::Disabled => all_disabled(),
                Pass::NotReady => {
                    if shared.take_deferred() {
                        // A lower select is mid-pass: let it park, then claim it. Stay
                        // POLLING (unclaimable) and yield to the executor meanwhile.
                        crate::loom::yield_now();
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    if shared.park() {
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}

/// Case `winner` won: every other case steps aside (for good if `lost`).
fn unregister_others<O, S: Cases<O>>(cases: &mut S, winner: usize, lost: bool) {
    for j in 0..cases.len() {
        if j != winner
            && let Some(case) = cases.get(j)
        {
            case.unregister(lost);
        }
    }
}

#[cold]
#[track_caller]
pub(crate) fn all_disabled() -> ! {
    panic!(
        "every case of this `select!` is disabled (by a false guard or a refused pattern) \
         and it has no `default` case, so it could never complete"
    )
}

impl<O, S: Cases<O>, A> Drop for Engine<O, S, A> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let Some(shared) = self.shared.take() else {
            return;
        };
        // Undo what a chosen case was promised; withdraw every other parked entry.
        let chosen = shared.abort().err();
        for i in 0..self.cases.len() {
            if let Some(case) = self.cases.get(i) {
                if Some(i) == chosen {
                    case.abandon();
                } else {
                    case.unregister(true);
                }
            }
        }
    }
}

impl<O, S: Cases<O>, A> fmt::Debug for Engine<O, S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("cases", &self.cases.len())
            .field("state", &self.shared)
            .field("done", &self.done)
            .finish()
    }
}

/// The `select!` macro's future: an [`Engine`] polled until one case completes.
///
/// This `struct` is created by `select!`. Cancel-safe like
/// [`SelectFuture`](super::SelectFuture).
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct SelectMacroFuture<O, S: Cases<O>, A> {
    engine: Engine<O, S, A>,
}

impl<O, S: Cases<O>, A: AsMut<[usize]>> SelectMacroFuture<O, S, A> {
    /// A select over `cases`; see [`Engine::new`].
    pub fn new(cases: S, order: A, biased: bool) -> Self {
        SelectMacroFuture {
            engine: Engine::new(cases, order, biased),
        }
    }
}

impl<O, S: Cases<O>, A> Unpin for SelectMacroFuture<O, S, A> {}

impl<O, S: Cases<O>, A: AsMut<[usize]>> Future for SelectMacroFuture<O, S, A> {
    type Output = O;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<O> {
        self.engine.poll_select(cx)
    }
}
