//! [`run`]: what `scope!` expands to — the body and every child polled in the calling
//! task until all are done, and the primary failure decided (module docs, items 1–6; the
//! decision itself is `failure.rs`'s).

use std::future::Future;
use std::panic::Location;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use futures_util::stream::{FuturesUnordered, StreamExt};

use super::CURRENT;
use super::failure::{Failure, Verdict};
use super::handle::{Scope, Watcher};
use super::local_set::LocalSet;
use super::typed::ScopeError;
use crate::error::Error;
use crate::loom::Ordering;

/// The scope's `goscope.scope` span, made where the scope is, or `None` when no
/// subscriber wants it.
pub(super) fn scope_span(at: &'static Location<'static>) -> Option<tracing::Span> {
    let span = tracing::debug_span!(target: "goscope", "goscope.scope", at = %at);
    (!span.is_disabled()).then_some(span)
}

/// Runs the body of a scope and every child spawned into `scope`, in the calling task,
/// until all are done; returns the primary failure, else the body's result.
///
/// What `scope!` expands to:
/// `{ let s = Scope::new(); run(&s, async { body }).await }`.
///
/// # Panics
///
/// If `scope` has been run before (a scope is run once: `scope!` makes a new one).
pub async fn run<'env, T, E, B>(scope: &Scope<'env, E>, body: B) -> Result<T, E>
where
    B: Future<Output = Result<T, E>>,
    E: ScopeError + Send + 'env,
{
    // Cancels the scope, and aborts its `'static` children, if this future is dropped
    // before it is done.
    let mut guard = AbortOnDrop(Some(scope));
    // `None` once done, or dropped (at the deadline, or on the first failure).
    let mut body = pin!(Some(body));
    let mut output: Option<Result<T, E>> = None;
    // The primary failure, once decided (its error, or the body has it).
    let mut verdict: Option<Verdict<E>> = None;
    // Whether the body has been polled since the scope was seen cancelled.
    let mut body_told = false;
    assert!(
        !scope.inner.ran.swap(true, Ordering::Relaxed),
        "a `Scope` is run once (`scope!` makes a new one each time)"
    );
    let mut children = Children {
        locals: LocalSet::new(std::sync::Arc::clone(&scope.inner.locals)),
        watchers: FuturesUnordered::new(),
    };
    // The scope's deadline is goscope's one timer.
    let mut deadline = scope
        .inner
        .timeout
        .map(|d| (d, Box::pin(crate::time::after(d))));
    let mut cancelled = Some(Box::pin(scope.token().cancelled_owned()));
    std::future::poll_fn(|cx| {
        let _entered = scope.inner.span.as_ref().map(|span| span.enter());
        if let Some((duration, sleep)) = &mut deadline
            && sleep.as_mut().poll(cx).is_ready()
        {
            let duration = *duration;
            deadline = None;
            // The whole scope is late: the body goes, every child is cancelled.
            body.set(None);
            let timed_out = Error::TimedOut(duration).into();
            scope.failures().record(Failure::TimedOut(timed_out));
        }
        if let Some(wait) = &mut cancelled
            && wait.as_mut().poll(cx).is_ready()
        {
            // Cancelled (a failure, or an enclosing scope): `'static` children stop at
            // their next `.await`, and those waiting for a `limit` slot never start.
            cancelled = None;
            scope.tasks().abort_all();
            // Local children are dropped (each settles its handle as cancelled); watchers
            // cancel their tasks and wait for them to stop.
            children.locals.clear();
            let unstarted = std::mem::take(&mut scope.state().pending);
            drop(unstarted);
        }
        let token = std::sync::Arc::clone(&scope.failures().token);
        let locals = CURRENT.sync_scope(token, || {
            poll_all(scope, body.as_mut(), &mut output, &mut children, cx)
        });
        if !done(&mut body) && verdict.is_none() && scope.is_cancelled() {
            // A child failed while the body is still running: the body is cancelled too
            // (dropped at its `.await`), unless it takes the error by awaiting the child's
            // handle — then the body owns it, and runs on to return what it decides. The
            // body has one more poll, after the failure is in its slot, to take it.
            if !body_told {
                body_told = true;
                cx.waker().wake_by_ref();
            } else {
                verdict = scope.failures().take_primary();
                if let Some(Verdict::Failed(_)) = verdict {
                    body.set(None);
                    // Look again at once: that may have been all there was to wait for.
                    cx.waker().wake_by_ref();
                }
            }
        }
        let mut tasks = scope.tasks();
        while let Poll::Ready(Some(_)) = tasks.poll_join_next(cx) {}
        if locals.is_ready() && done(&mut body) && tasks.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    guard.0 = None;
    match verdict.or_else(|| scope.failures().take_primary()) {
        Some(Verdict::Failed(error)) => Err(error),
        _ => {
            output.expect("the body is dropped only when the scope has the primary failure's error")
        }
    }
}

/// Whether the body is done (or dropped). Through `&mut`, not `Option::is_none`: a shared
/// reference to a running body (a self-referential future) is what Miri's Stacked Borrows
/// reports as invalidating the body's own borrows of itself.
fn done<B>(body: &mut Pin<&mut Option<B>>) -> bool {
    body.as_mut().as_pin_mut().is_none()
}

/// `run`'s guard: if its future is dropped unfinished, the scope is cancelled and its
/// `'static` children aborted at once.
struct AbortOnDrop<'a, 'env, E>(Option<&'a Scope<'env, E>>);

impl<E> Drop for AbortOnDrop<'_, '_, E> {
    fn drop(&mut self) {
        if let Some(scope) = self.0.take() {
            scope.failures().token.cancel();
            scope.tasks().abort_all();
        }
    }
}

/// The children a scope polls in its own task.
struct Children<'env> {
    locals: LocalSet<'env>,
    watchers: FuturesUnordered<Watcher<'env>>,
}

/// One poll of a scope: its body, then its children, until nothing new was started.
fn poll_all<'env, T, E: Send + 'env, B: Future<Output = Result<T, E>>>(
    scope: &Scope<'env, E>,
    mut body: Pin<&mut Option<B>>,
    output: &mut Option<Result<T, E>>,
    children: &mut Children<'env>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    loop {
        if let Some(running) = body.as_mut().as_pin_mut()
            && let Poll::Ready(result) = running.poll(cx)
        {
            body.set(None);
            if result.is_err() {
                scope.failures().record(Failure::Body);
            }
            *output = Some(result);
        }
        let (locals, watchers) = {
            let mut state = scope.state();
            if !state
                .waker
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                state.waker = Some(cx.waker().clone());
            }
            (
                std::mem::take(&mut state.pending),
                std::mem::take(&mut state.watchers),
            )
        };
        let started = !locals.is_empty() || !watchers.is_empty();
        for local in locals {
            children.locals.insert(local);
        }
        children.watchers.extend(watchers);
        let _ = children.locals.poll(cx);
        while let Poll::Ready(Some(())) = children.watchers.poll_next_unpin(cx) {}
        if started {
            // A child (or the body, woken by one) may have spawned more.
            continue;
        }
        if done(&mut body) && children.locals.is_empty() && children.watchers.is_empty() && {
            let state = scope.state();
            state.pending.is_empty() && state.watchers.is_empty()
        } {
            return Poll::Ready(());
        }
        return Poll::Pending;
    }
}
