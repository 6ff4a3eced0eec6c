//! What the examples share: [`Log`], which prints each line as it happens and keeps it,
//! so that `tests/examples.rs` can run an example's `run` and check what it said.

use std::sync::{Arc, Mutex, PoisonError};

/// An example's narration: printed as it happens (unless quiet), and kept.
///
/// ```
/// let log = goscope_examples::Log::quiet();
/// log.say("fetched 3 pages");
/// assert_eq!(log.lines(), ["fetched 3 pages"]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Log {
    lines: Arc<Mutex<Vec<String>>>,
    quiet: bool,
}

impl Log {
    /// A log that prints to stdout.
    pub fn new() -> Self {
        Self::default()
    }

    /// A log that only keeps its lines (for tests).
    pub fn quiet() -> Self {
        Log {
            quiet: true,
            ..Self::default()
        }
    }

    /// Prints `line` (unless quiet) and keeps it.
    pub fn say(&self, line: impl Into<String>) {
        let line = line.into();
        if !self.quiet {
            println!("{line}");
        }
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
    }

    /// Every line said so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
