//! Helpers shared by goscope's behaviour tests.
#![warn(missing_docs)]

/// A process-wide [`goscope::set_panic_hook`] observer for tests that run in parallel in
/// one process: it records every captured panic, and tests look up their own by task
/// name (so each test names its tasks uniquely).
pub mod hook {
    use std::sync::{Mutex, Once};

    use tokio::sync::Notify;

    /// What the observer saw of one captured panic.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Seen {
        /// `PanicError::task_name()`.
        pub task: Option<String>,
        /// `PanicError::message()`.
        pub message: Option<String>,
        /// `PanicError::location()`, as `file:line:col`.
        pub location: Option<String>,
    }

    /// A task with this name makes the observer itself panic.
    pub const PANICKING_HOOK_TASK: &str = "tests.hook-panics";

    static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());
    static NEW: Notify = Notify::const_new();
    static INSTALL: Once = Once::new();

    /// Installs the recording observer (once per process).
    pub fn install() {
        INSTALL.call_once(|| {
            goscope::set_panic_hook(|p| {
                if p.task_name() == Some(PANICKING_HOOK_TASK) {
                    panic!("the observer itself panics");
                }
                SEEN.lock().unwrap().push(Seen {
                    task: p.task_name().map(str::to_owned),
                    message: p.message().map(str::to_owned),
                    location: p.location().map(ToString::to_string),
                });
                NEW.notify_waiters();
            });
        });
    }

    /// Every panic seen so far for tasks named `task`.
    pub fn seen(task: &str) -> Vec<Seen> {
        let seen = SEEN.lock().unwrap();
        seen.iter()
            .filter(|s| s.task.as_deref() == Some(task))
            .cloned()
            .collect()
    }

    /// Waits until the observer has seen a panic of a task named `task`.
    pub async fn wait_for(task: &str) -> Seen {
        loop {
            let notified = NEW.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(s) = seen(task).pop() {
                return s;
            }
            notified.await;
        }
    }
}

/// Sends `()` on drop: proves a future was dropped (cancelled).
#[derive(Debug)]
pub struct DropSignal(pub Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}
