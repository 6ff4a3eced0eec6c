//! The scope's failures, recorded on one path: [`Failures`], the record every failure goes
//! through — the body's `Err`, a local child's, a `'static` child's (from its own task, on
//! any thread), a watched task's, the deadline — and the one place that decides which of
//! them is the primary.
//!
//! # Design
//!
//! The record is `'static` (it borrows nothing of `'env`), so the scope's handle and its
//! `'static` children's tasks hold the same one by `Arc`. A failure is recorded once, in
//! its order of arrival, under one lock:
//!
//! 1. The first failure recorded is the primary; the record keeps it and drops the later
//!    ones (a child's error stays in its slot: its handle may still take it). In a
//!    supervising scope only the deadline is a failure of the scope; a child's failure
//!    stays in its handle and cancels nothing.
//! 2. Recording a failure cancels the scope's token, after the primary is in the record:
//!    whoever sees the token cancelled finds the primary there.
//! 3. A child's error is not copied: a failing child puts it in a [`Failed`] cell, shared
//!    by its slot (its handle) and, if it is the primary, the record. Whoever takes it
//!    first has it: the handle (the body, or a sibling, awaiting it) or the scope
//!    ([`Failures::take_primary`], once). A child's slot lives in its node (a local child,
//!    which borrows `'env`) or on its own (a `'static` or watched child): the cell is what
//!    lets the record reach either without borrowing `'env`.
//! 4. [`Failures::take_primary`] decides once: the primary's error, if it is still there
//!    (what the scope returns), or "the body has it" (its own `Err`, or a child's error it
//!    took from the handle: the scope returns what the body returns). A failure recorded
//!    after that is not the primary.
//!
//! # The rule, and where it would change
//!
//! Today the body, if it awaits the failing child's handle in the one poll it is given
//! after the failure (`run`), owns that error and runs on. "The primary failure always
//! wins" (SPEC) is a change here and nowhere else: [`Failures::record`] marks the cell it
//! keeps as the primary, [`Failed::take_by_handle`] hands a marked cell's handle
//! `Err(Error::Cancelled)` instead of the error, and so [`Failures::take_primary`] always
//! finds a child's error in its cell (`Verdict::BodyHasIt` remains for the body's own
//! `Err`); `run` then drops the body after its one poll, as it does today for a primary
//! it took.
//!
//! Loom model: `scope::loom` (several failures at once, from the body's side and from
//! `'static` tasks on other threads, and a handle taking the error meanwhile).

use std::sync::Arc as StdArc;

use tokio_util::sync::CancellationToken;

use crate::loom::{Arc, StdMutex, lock};
use crate::panic::Unreceived;

/// A scope's failure record, and the token a failure cancels. Shared by the scope's handle
/// and its `'static` children's tasks.
pub(super) struct Failures<E> {
    /// The scope's token: cancelled by every failure that counts (and by an enclosing
    /// scope, a dropped scope future). Shared (`Arc`) because it is the task-local
    /// `CURRENT` while the scope polls (std's `Arc`, the task-local's type, even under loom).
    pub(super) token: StdArc<CancellationToken>,
    /// `supervise`: a child's failure is not the scope's (the deadline still is).
    supervise: bool,
    primary: StdMutex<Primary<E>>,
}

/// A failure, as it is recorded.
pub(super) enum Failure<E> {
    /// The body returned `Err`: it has its own error (`run` keeps the body's output).
    Body,
    /// A child failed: its error waits in its cell, shared with its handle.
    Child(Arc<Failed<E>>),
    /// The deadline passed: `Error::TimedOut` converted into `E`.
    TimedOut(E),
}

enum Primary<E> {
    /// No failure yet.
    None,
    /// The first failure.
    Recorded(Failure<E>),
    /// `take_primary` has decided; later failures are not the primary.
    Decided,
}

/// The primary failure, decided.
pub(super) enum Verdict<E> {
    /// Its error, taken from where it was recorded: what the scope returns.
    Failed(E),
    /// The body's own `Err`, or a child's error the body took by awaiting its handle: the
    /// scope returns what the body returns.
    BodyHasIt,
}

impl<E> Failures<E> {
    /// The record of a scope whose token is `token`.
    pub(super) fn new(token: CancellationToken) -> Self {
        Failures {
            token: StdArc::new(token),
            supervise: false,
            primary: StdMutex::new(Primary::None),
        }
    }

    /// `supervise`: set before the record is shared.
    pub(super) fn supervise(&mut self) {
        self.supervise = true;
    }

    /// Records a failure: the first one is the primary (item 1), and every one that
    /// counts cancels the scope (item 2). Returns whether this one is the primary.
    pub(super) fn record(&self, failure: Failure<E>) -> bool {
        if self.supervise && !matches!(failure, Failure::TimedOut(_)) {
            return false;
        }
        let later = {
            let mut primary = lock(&self.primary);
            match *primary {
                Primary::None => {
                    *primary = Primary::Recorded(failure);
                    None
                }
                _ => Some(failure),
            }
        };
        let first = later.is_none();
        // A later failure is dropped outside the lock (a deadline's error is the user's
        // type, with a destructor of its own).
        drop(later);
        self.token.cancel();
        first
    }

    /// Decides the primary failure (item 4): `None`, and nothing decided, if there has
    /// been no failure.
    pub(super) fn take_primary(&self) -> Option<Verdict<E>> {
        let failure = {
            let mut primary = lock(&self.primary);
            match std::mem::replace(&mut *primary, Primary::Decided) {
                Primary::Recorded(failure) => failure,
                undecided => {
                    *primary = undecided;
                    return None;
                }
            }
        };
        Some(match failure {
            Failure::Body => Verdict::BodyHasIt,
            Failure::TimedOut(error) => Verdict::Failed(error),
            Failure::Child(failed) => failed.take().map_or(Verdict::BodyHasIt, Verdict::Failed),
        })
    }
}

/// A child's error, and the report owed if it is a panic nobody takes (`Unreceived`: told
/// at ERROR when the cell is dropped with it still there).
pub(super) struct Failed<E> {
    error: StdMutex<Option<(E, Unreceived)>>,
}

impl<E> Failed<E> {
    pub(super) fn new(error: E, unreceived: Unreceived) -> Arc<Self> {
        Arc::new(Failed {
            error: StdMutex::new(Some((error, unreceived))),
        })
    }

    /// The error, for the child's handle; `None` if the scope took it (as its primary).
    ///
    /// The handle's side of the rule (module docs): today the handle takes the error
    /// whether or not it is the primary.
    pub(super) fn take_by_handle(&self) -> Option<E> {
        self.take()
    }

    /// The error, if nobody took it yet; its panic's report is delivered with it.
    fn take(&self) -> Option<E> {
        let (error, unreceived) = lock(&self.error).take()?;
        unreceived.received();
        Some(error)
    }
}
