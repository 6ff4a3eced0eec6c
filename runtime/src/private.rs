//! What macro expansions call. Not public API: no stability guarantees.

use std::future::Future;

pub use crate::task::Task;

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
