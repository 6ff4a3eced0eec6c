//! [`Service`], what the manager runs, and its type-erased form.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::BoxError;

/// A boxed, `Send` future of a phase's result.
pub(super) type PhaseFuture<'a> = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'a>>;

/// A long-running unit of work the [`Manager`](super::Manager) supervises through three
/// phases: [`initialize`](Service::initialize) (serially, in the order added),
/// [`execute`](Service::execute) (all in parallel, until `ctx` is cancelled) and
/// [`cleanup`](Service::cleanup) (serially, in reverse order).
///
/// Implement it with plain `async fn`s; only `execute` is required. `execute` takes
/// `&self` because every service's execute runs at the same time, each in its own task;
/// `initialize` and `cleanup` take `&mut self` because nothing else touches the service
/// while they run.
///
/// `execute` should return `Ok(())` soon after `ctx` is cancelled: that is a clean stop.
/// An `Err` (or a panic) is a failure of the whole manager: it cancels every other
/// service's `ctx`, and [`Manager::run`](super::Manager::run) returns it.
///
/// # Examples
///
/// ```
/// use goscope::manager::{BoxError, Service};
/// use goscope::CancellationToken;
///
/// struct Cache {
///     entries: Vec<String>,
/// }
///
/// impl Service for Cache {
///     async fn initialize(&mut self) -> Result<(), BoxError> {
///         self.entries.push("warm".to_owned());
///         Ok(())
///     }
///
///     async fn execute(&self, ctx: CancellationToken) -> Result<(), BoxError> {
///         ctx.cancelled().await; // serve until told to stop
///         Ok(())
///     }
///
///     async fn cleanup(&mut self) -> Result<(), BoxError> {
///         self.entries.clear();
///         Ok(())
///     }
/// }
///
/// assert_eq!(Cache { entries: Vec::new() }.name(), "Cache");
/// ```
pub trait Service: Send + Sync + 'static {
    /// The name failures and panics report: the type's name by default, without its
    /// module path (`Cache`, not `my_app::Cache`; a generic type keeps its full path).
    ///
    /// ```
    /// use goscope::manager::{BoxError, Service};
    /// use goscope::CancellationToken;
    ///
    /// struct Shard(u32);
    ///
    /// impl Service for Shard {
    ///     fn name(&self) -> std::borrow::Cow<'static, str> {
    ///         format!("shard-{}", self.0).into()
    ///     }
    ///     async fn execute(&self, ctx: CancellationToken) -> Result<(), BoxError> {
    ///         ctx.cancelled().await;
    ///         Ok(())
    ///     }
    /// }
    ///
    /// assert_eq!(Shard(3).name(), "shard-3");
    /// ```
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(short_type_name(std::any::type_name::<Self>()))
    }

    /// Prepares the service (opens a connection, binds a socket). Runs once, before any
    /// service executes, after the services added before this one have initialised.
    /// Nothing by default.
    fn initialize(&mut self) -> impl Future<Output = Result<(), BoxError>> + Send {
        async { Ok(()) }
    }

    /// The service's work, in parallel with every other service's, until `ctx` is
    /// cancelled (a shutdown, or another service's failure). Return `Ok(())` to stop
    /// cleanly; returning early is fine, the others go on.
    fn execute(&self, ctx: CancellationToken) -> impl Future<Output = Result<(), BoxError>> + Send;

    /// Releases what `initialize` acquired. Runs once for every service whose
    /// `initialize` succeeded — even when an execute failed or panicked — in reverse order
    /// of adding, each within the manager's cleanup timeout. Nothing by default.
    fn cleanup(&mut self) -> impl Future<Output = Result<(), BoxError>> + Send {
        async { Ok(()) }
    }
}

/// `my_app::db::Database` → `Database`; a generic type keeps its full path.
fn short_type_name(full: &'static str) -> &'static str {
    if full.contains('<') {
        full
    } else {
        full.rsplit("::").next().unwrap_or(full)
    }
}

/// [`Service`] with its futures boxed: object-safe, so the manager holds a list of
/// different services.
pub(super) trait Erased: Send + Sync + 'static {
    fn initialize(&mut self) -> PhaseFuture<'_>;
    /// The execute, as a `'static` future that owns its handle to the service.
    fn execute(self: Arc<Self>, ctx: CancellationToken) -> PhaseFuture<'static>;
    fn cleanup(&mut self) -> PhaseFuture<'_>;
}

impl<S: Service> Erased for S {
    fn initialize(&mut self) -> PhaseFuture<'_> {
        Box::pin(Service::initialize(self))
    }

    fn execute(self: Arc<Self>, ctx: CancellationToken) -> PhaseFuture<'static> {
        Box::pin(async move { Service::execute(&*self, ctx).await })
    }

    fn cleanup(&mut self) -> PhaseFuture<'_> {
        Box::pin(Service::cleanup(self))
    }
}

/// An execute-only task, boxed: called once with its `ctx`.
pub(super) type ExecuteFn = Box<dyn FnOnce(CancellationToken) -> PhaseFuture<'static> + Send>;

/// Boxes an execute-only closure.
pub(super) fn execute_fn<F, Fut>(f: F) -> ExecuteFn
where
    F: FnOnce(CancellationToken) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    // `f` is called when the future is first polled, so that a panic in the call itself
    // is caught with the future's.
    Box::new(move |ctx| Box::pin(async move { f(ctx).await }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_type_name_drops_the_module_path_of_plain_types_only() {
        assert_eq!(super::short_type_name("a::b::Database"), "Database");
        assert_eq!(super::short_type_name("Database"), "Database");
        assert_eq!(super::short_type_name("a::Ticker<a::F>"), "a::Ticker<a::F>");
    }
}
