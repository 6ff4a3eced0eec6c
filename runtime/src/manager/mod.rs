//! A supervisor for a program's long-running services, after Go's
//! [GoAsync](https://github.com/DanLavine/goasync): each [`Service`] is initialised,
//! executed and cleaned up by a [`Manager`].
//!
//! ```text
//! initialize   A ──▶ B ──▶ C             serially, in the order added
//! execute      A ║ B ║ C ║ tasks…       in parallel, until a shutdown or the first failure
//! cleanup      C ──▶ B ──▶ A             serially, in reverse order
//! ```
//!
//! - **Initialise** runs each service's [`initialize`](Service::initialize) in the order
//!   the services were added, one at a time, so a service can rely on the ones before it
//!   (the database is up before the cache that reads it). The first error or panic stops
//!   the phase: the services after it are neither initialised nor executed, and the
//!   ones already initialised are cleaned up, in reverse order. A shutdown during this
//!   phase cancels the initialise in progress (that service counts as not initialised)
//!   and goes straight to the cleanups.
//! - **Execute** runs every service's [`execute(ctx)`](Service::execute), and every
//!   execute-only task ([`Manager::add_execute`], [`ManagerHandle::add_execute`]),
//!   each as its own task on the runtime, in parallel. The phase ends when
//!   - the shutdown token is cancelled ([`Manager::shutdown_token`],
//!     [`Manager::shutdown_with`], [`ManagerHandle::shutdown`]), by hand or by a signal
//!     ([`Manager::shutdown_on_signals`] cancels the token itself): a clean stop;
//!   - an execute returns `Err` or panics: the first such failure is what `run` returns;
//!   - or every execute has returned `Ok(())`: nothing is left to supervise.
//!
//!   An execute that returns `Ok(())` early is simply done; the others go on. When the
//!   phase ends, every `ctx` is cancelled and the manager waits for the executes to
//!   return, at most [`stop_timeout`](Manager::stop_timeout) (30 s by default); those
//!   still running then are aborted and reported as timed out.
//! - **Cleanup** runs [`cleanup`](Service::cleanup) for every service whose initialise
//!   succeeded — whether the executes ended cleanly, failed or panicked — in reverse
//!   order of adding, each within [`cleanup_timeout`](Manager::cleanup_timeout) (30 s
//!   by default). A cleanup that fails, panics or times out is reported and the next one
//!   still runs.
//!
//! [`Manager::run`] returns `Ok(())` when nothing failed, and otherwise a
//! [`ManagerError`] with every [`Failure`]: the service, the [`Phase`] and the
//! [`Cause`] (its error, its captured [`PanicError`](crate::PanicError), or a timeout).
//! Each failure is also reported as it happens, as a `tracing` event: level `ERROR`,
//! target `goscope::manager`, with the fields `service`, `phase` and `cause` (their
//! `Display` text).
//!
//! # Design
//!
//! Services are held as `Arc<dyn …>` of a private, object-safe twin of [`Service`]
//! (a blanket impl boxes each phase's future), so one manager holds services of
//! different types that users write with plain `async fn`s. `execute` takes `&self`:
//! during the execute phase each execute's task owns a clone of the `Arc`; when the
//! phase is over every task has ended, the `Arc` is unique again, and `cleanup` gets
//! `&mut self`.
//!
//! The executes are the `'static` children of one [`Scope`](crate::Scope), so
//! they run in parallel and none outlives [`Manager::run`]. They never fail the scope —
//! which would abort the others at once — but record their failure and cancel a token
//! of the manager's, the parent of every execute's `ctx`: the others stop when they
//! see it, finishing what they are doing (an accept loop drains its requests in
//! flight). Only the stop timeout cancels the scope, and so aborts the executes that
//! ignore their `ctx`. Each execute's panic is caught in its task and captured as a
//! [`PanicError`](crate::PanicError) named after the service (and reported to the
//! panic hook); so are the panics of initialises and cleanups, which run in the
//! manager's own task.
//!
//! # Invariants
//!
//! 1. Phase order: no execute starts before every initialise has succeeded; no cleanup
//!    starts before every execute has ended.
//! 2. Cleanup runs in reverse order of adding, exactly once for each service whose
//!    `initialize` returned `Ok`, and for no other.
//! 3. Nothing outlives `run`: when it returns, every execute-only task and every
//!    execute has ended (returned, or been aborted and dropped), and so has every
//!    request handler of an [`AcceptLoop`]. Dropping the `run` future aborts them too
//!    (and skips the cleanups: there is no async drop).
//! 4. No failure is lost: every initialise, execute and cleanup failure is in the
//!    [`ManagerError`], in the order they happened, and is one `tracing` error event;
//!    every panic also reaches the panic hook.
//! 5. An execute-only task added after the execute phase has begun to stop is refused
//!    with an [`AddError`], and never starts.
//!
//! # Examples
//!
//! A simulated database, a worker that uses it and a periodic job, shut down by a token:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//!
//! use goscope::manager::{BoxError, Manager, Service, Ticker};
//! use goscope::CancellationToken;
//!
//! type Log = Arc<Mutex<Vec<String>>>;
//!
//! /// A database: opened first, closed last.
//! struct Database { log: Log, open: bool }
//!
//! impl Service for Database {
//!     async fn initialize(&mut self) -> Result<(), BoxError> {
//!         tokio::time::sleep(Duration::from_millis(50)).await; // connecting
//!         self.open = true;
//!         self.log.lock().unwrap().push("db: open".into());
//!         Ok(())
//!     }
//!     async fn execute(&self, ctx: CancellationToken) -> Result<(), BoxError> {
//!         ctx.cancelled().await; // serves queries until shutdown
//!         Ok(())
//!     }
//!     async fn cleanup(&mut self) -> Result<(), BoxError> {
//!         self.open = false;
//!         self.log.lock().unwrap().push("db: closed".into());
//!         Ok(())
//!     }
//! }
//!
//! /// A worker that handles a job every second until told to stop.
//! struct Worker { log: Log }
//!
//! impl Service for Worker {
//!     async fn execute(&self, ctx: CancellationToken) -> Result<(), BoxError> {
//!         let mut jobs = 0;
//!         while ctx
//!             .run_until_cancelled(tokio::time::sleep(Duration::from_secs(1)))
//!             .await
//!             .is_some()
//!         {
//!             jobs += 1;
//!         }
//!         self.log.lock().unwrap().push(format!("worker: stopped after {jobs} jobs"));
//!         Ok(())
//!     }
//!     async fn cleanup(&mut self) -> Result<(), BoxError> {
//!         self.log.lock().unwrap().push("worker: cleaned up".into());
//!         Ok(())
//!     }
//! }
//!
//! let log = Log::default();
//! let mut manager = Manager::new();
//! manager
//!     .add(Database { log: log.clone(), open: false })
//!     .add(Worker { log: log.clone() })
//!     .add(Ticker::new("heartbeat", Duration::from_secs(2), || async { Ok(()) }));
//!
//! let shutdown = manager.shutdown_token();
//! let stopper = goscope::go(async move {
//!     tokio::time::sleep(Duration::from_millis(3500)).await;
//!     shutdown.cancel(); // what Ctrl-C does with `shutdown_on_signals()`
//! });
//!
//! manager.run().await.expect("a shutdown is a clean stop");
//! stopper.await.unwrap();
//! assert_eq!(
//!     *log.lock().unwrap(),
//!     ["db: open", "worker: stopped after 3 jobs", "worker: cleaned up", "db: closed"],
//! );
//! # }
//! ```
//!
//! A failure names its service and phase:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use goscope::manager::{BoxError, Manager, Phase, Service};
//! use goscope::CancellationToken;
//!
//! struct Cache;
//!
//! impl Service for Cache {
//!     async fn initialize(&mut self) -> Result<(), BoxError> {
//!         Err("redis is unreachable".into())
//!     }
//!     async fn execute(&self, _ctx: CancellationToken) -> Result<(), BoxError> {
//!         unreachable!("never executed: its initialise failed")
//!     }
//! }
//!
//! let mut manager = Manager::new();
//! manager.add(Cache);
//! let error = manager.run().await.unwrap_err();
//! let first = error.first.as_ref().unwrap();
//! assert_eq!((first.service.as_str(), first.phase), ("Cache", Phase::Initialize));
//! assert_eq!(error.to_string(), "initialize of service `Cache` failed: redis is unreachable");
//! # }
//! ```

mod accept_loop;
mod error;
mod execute;
mod run;
mod service;
mod signal;
mod ticker;

pub use accept_loop::AcceptLoop;
pub use error::{AddError, Cause, Failure, ManagerError, Phase};
pub use execute::ManagerHandle;
pub use run::{DEFAULT_CLEANUP_TIMEOUT, DEFAULT_STOP_TIMEOUT, Manager};
pub use service::Service;
pub use ticker::Ticker;

/// The error a [`Service`] phase returns: any error, boxed (`"message".into()` works,
/// and so does `?` on most errors).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
