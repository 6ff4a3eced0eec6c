//! Loom models of the scope's failure bookkeeping (`failure.rs`), run by `.ci/run`:
//! `LOOM_MAX_PREEMPTIONS=5 RUSTFLAGS="--cfg goscope_loom" cargo test -p goscope --lib
//! --release loom`.
//!
//! They run the real record, slots and `settle` — the path every child's outcome takes —
//! with `'static` children's settles on loom threads, as their tasks do on Tokio's
//! workers, and the body's side (a local child, the body's own `Err`, the deadline, `run`
//! deciding the primary) on the model's main thread, as `run` does in the scope's task.
//! What they leave out: the `JoinSet` and the Tokio tasks themselves (a model cannot run
//! Tokio), the cancellation token's own lock (tokio-util's, which loom does not see: the
//! models check only that it ends cancelled), and the slot's `Arc` (std's, which loom does
//! not interleave).

use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use ::loom::thread;
use tokio_util::sync::CancellationToken;

use super::child::{Outcome, settle};
use super::failure::{Failure, Failures, Verdict};
use super::slot::{Cancel, Slot};
use crate::error::Error;
use crate::loom::Arc;
use crate::panic::Unreceived;

fn failure(i: u64) -> Outcome<u32, Error> {
    Outcome::Failed(Error::TimedOut(Duration::from_secs(i)), Unreceived::NONE)
}

fn seconds(error: &Error) -> u64 {
    match error {
        Error::TimedOut(d) => d.as_secs(),
        other => panic!("unexpected error {other:?}"),
    }
}

fn poll_handle(slot: &Slot<u32, Error>) -> Poll<Result<u32, Error>> {
    slot.poll_take(&mut Context::from_waker(Waker::noop()))
}

/// Two `'static` children fail on their own threads while, on the body's side, a local
/// child fails and the body returns `Err`: exactly one of the four is the primary, the
/// token is cancelled, the primary is the one the record says came first, and every other
/// child's error is still in its slot for its handle.
#[test]
fn loom_one_primary_among_failures_from_every_side() {
    ::loom::model(|| {
        let failures = Arc::new(Failures::<Error>::new(CancellationToken::new()));
        let statics: Vec<_> = (1..=2)
            .map(|i| {
                let slot = StdArc::new(Slot::new(Cancel::flag()));
                let (theirs, failures) = (StdArc::clone(&slot), Arc::clone(&failures));
                let task = thread::spawn(move || settle(&theirs, failure(i), &failures));
                (i, slot, task)
            })
            .collect();
        // The body's side: a local child fails, then the body returns `Err` (0).
        let local = Slot::new(Cancel::flag());
        let mut firsts = vec![(3, settle(&local, failure(3), &failures))];
        firsts.push((0, failures.record(Failure::Body)));
        let statics: Vec<_> = statics
            .into_iter()
            .map(|(i, slot, task)| {
                firsts.push((i, task.join().unwrap()));
                (i, slot)
            })
            .collect();
        let primaries: Vec<u64> = firsts.iter().filter(|(_, f)| *f).map(|(i, _)| *i).collect();
        assert_eq!(primaries.len(), 1, "exactly one primary: {firsts:?}");
        assert!(failures.token.is_cancelled());
        let primary = primaries[0];
        match failures.take_primary() {
            Some(Verdict::BodyHasIt) => assert_eq!(primary, 0, "only the body's own `Err`"),
            Some(Verdict::Failed(error)) => assert_eq!(seconds(&error), primary),
            None => panic!("there were failures"),
        }
        // Decided once: a later failure is not the primary.
        assert!(!failures.record(Failure::TimedOut(Error::TimedOut(Duration::ZERO))));
        let others = statics
            .iter()
            .map(|(i, slot)| (*i, &**slot))
            .chain([(3, &local)])
            .filter(|(i, _)| *i != primary);
        for (i, slot) in others {
            match poll_handle(slot) {
                Poll::Ready(Err(error)) => assert_eq!(seconds(&error), i),
                _ => panic!("child {i}'s error is in its slot"),
            }
        }
    });
}

/// A `'static` child fails on its own thread while the body awaits its handle, then (as
/// `run` does once the scope is cancelled) the primary is decided; a second `'static`
/// child fails meanwhile. Whoever the primary is, its error is had exactly once: by the
/// handle (then the body has it) or by the scope.
#[test]
fn loom_the_body_or_the_scope_has_the_primarys_error() {
    ::loom::model(|| {
        let failures = Arc::new(Failures::<Error>::new(CancellationToken::new()));
        let spawn = |i| {
            let slot = StdArc::new(Slot::new(Cancel::flag()));
            let (theirs, failures) = (StdArc::clone(&slot), Arc::clone(&failures));
            let task = thread::spawn(move || settle(&theirs, failure(i), &failures));
            (slot, task)
        };
        let (awaited, first) = spawn(1);
        let (sibling, second) = spawn(2);
        // The body's poll: it awaits child 1's handle.
        let body_took = match poll_handle(&awaited) {
            Poll::Ready(Err(error)) => Some(seconds(&error)),
            Poll::Ready(Ok(_)) => panic!("child 1 fails"),
            Poll::Pending => None,
        };
        // `run` decides once it sees the scope cancelled.
        while !failures.token.is_cancelled() {
            thread::yield_now();
        }
        let verdict = failures.take_primary();
        let (first_was_primary, second_was_primary) =
            (first.join().unwrap(), second.join().unwrap());
        assert!(
            first_was_primary ^ second_was_primary,
            "exactly one primary"
        );
        match verdict {
            Some(Verdict::Failed(error)) => {
                let primary = seconds(&error);
                assert_eq!(primary == 1, first_was_primary);
                if primary == 1 {
                    assert_eq!(body_took, None, "child 1's error was had twice");
                }
            }
            Some(Verdict::BodyHasIt) => {
                assert!(first_was_primary, "only child 1's error can be the body's");
                assert_eq!(body_took, Some(1), "the body took it");
            }
            None => panic!("there were failures"),
        }
        // The sibling's error stays for its handle unless it was the primary and taken.
        if first_was_primary {
            assert!(matches!(poll_handle(&sibling), Poll::Ready(Err(_))));
        }
    });
}
