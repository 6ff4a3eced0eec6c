//! [`AcceptLoop`]: a built-in service that runs a handler per request from a channel,
//! bounded, drained on shutdown.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::{BoxError, Service};
use crate::Error;
use crate::chan::Receiver;
use crate::panic::catch::CatchUnwind;
use crate::scope::{self, Scope};

/// A service that takes requests from a goscope channel and runs `handler(request, ctx)`
/// for each, at most `limit` at once, as the children of a scope of its own.
///
/// - It receives a request only when one of the `limit` slots is free, so a full loop
///   leaves requests in the channel: the senders feel the back-pressure.
/// - When its `ctx` is cancelled it stops receiving, waits for the requests in flight to
///   finish (drains), and returns `Ok(())`. Requests still in the channel are not
///   handled. When the channel is closed and empty it returns `Ok(())` too (the other
///   services go on).
/// - Each handler gets a [`CancellationToken`] with its request: a child of the loop's
///   `ctx`, so it is cancelled on a shutdown or a failure (cancelling it stops only that
///   handler). A long-lived handler — a connection that lasts until its client hangs
///   up — selects on `ctx.cancelled()` to end the drain promptly instead of waiting for
///   its client (or for the stop timeout, which is a failure).
/// - A handler returns nothing: it answers its request itself (through a oneshot in the
///   request, say), errors included. A handler that panics is captured and reported to
///   the panic hook (and `tracing`), with the loop's name as the task name; the loop and
///   the other handlers go on.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goscope::chan;
/// use goscope::manager::{AcceptLoop, Manager};
/// use tokio::sync::oneshot;
///
/// struct Square { n: u64, reply: oneshot::Sender<u64> }
///
/// let (requests, incoming) = chan::bounded::<Square>(16);
/// let mut manager = Manager::new();
/// manager.add(AcceptLoop::new("squares", incoming, 4, |req: Square, _ctx| async move {
///     let _ = req.reply.send(req.n * req.n);
/// }));
/// let shutdown = manager.shutdown_token();
/// let client = goscope::go(async move {
///     let (reply, answer) = oneshot::channel();
///     requests.send(Square { n: 7, reply }).await.unwrap();
///     let squared = answer.await.unwrap();
///     shutdown.cancel();
///     squared
/// });
/// manager.run().await.unwrap();
/// assert_eq!(client.await.unwrap(), 49);
/// # }
/// ```
pub struct AcceptLoop<Req, H> {
    name: Cow<'static, str>,
    requests: Receiver<Req>,
    limit: usize,
    handler: Arc<H>,
    at: &'static Location<'static>,
}

impl<Req, H, Fut> AcceptLoop<Req, H>
where
    Req: Send + 'static,
    H: Fn(Req, CancellationToken) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    /// A loop named `name` that handles the requests from `requests` with `handler`, at
    /// most `limit` at once; `handler(request, ctx)` gets a token that is cancelled when
    /// the loop stops.
    ///
    /// # Panics
    ///
    /// If `limit` is 0: no request could ever be handled.
    ///
    /// A connection handler that serves its client's lines until the client hangs up,
    /// or until a shutdown:
    ///
    /// ```
    /// use goscope::chan::Receiver;
    /// use goscope::CancellationToken;
    /// use goscope::manager::AcceptLoop;
    ///
    /// let (_tx, rx) = goscope::chan::bounded::<Receiver<String>>(8);
    /// let echo = |lines: Receiver<String>, ctx: CancellationToken| async move {
    ///     // `None` on a shutdown, `Some(None)` once the client has hung up.
    ///     while let Some(Some(line)) = ctx.run_until_cancelled(lines.recv()).await {
    ///         println!("{line}");
    ///     }
    /// };
    /// let server = AcceptLoop::new("echo", rx, 32, echo);
    /// ```
    #[track_caller]
    pub fn new(
        name: impl Into<Cow<'static, str>>,
        requests: Receiver<Req>,
        limit: usize,
        handler: H,
    ) -> Self {
        assert!(
            limit > 0,
            "`AcceptLoop::new`: a limit of 0 handles nothing; use at least 1"
        );
        AcceptLoop {
            name: name.into(),
            requests,
            limit,
            handler: Arc::new(handler),
            at: Location::caller(),
        }
    }
}

impl<Req, H, Fut> Service for AcceptLoop<Req, H>
where
    Req: Send + 'static,
    H: Fn(Req, CancellationToken) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn name(&self) -> Cow<'static, str> {
        self.name.clone()
    }

    async fn execute(&self, ctx: CancellationToken) -> Result<(), BoxError> {
        let slots = Arc::new(Semaphore::new(self.limit));
        let scope: Scope<'static, Error> = Scope::new();
        let accept = async {
            loop {
                // A free slot first, then a request: a busy loop leaves requests queued.
                let Some(Ok(slot)) = ctx
                    .run_until_cancelled(Arc::clone(&slots).acquire_owned())
                    .await
                else {
                    break;
                };
                let Some(Some(request)) = ctx.run_until_cancelled(self.requests.recv()).await
                else {
                    break;
                };
                let (handler, name, at) = (Arc::clone(&self.handler), self.name.clone(), self.at);
                let ctx = ctx.child_token();
                drop(scope.spawn(async move {
                    // Called in the child: a panic in the call itself is caught too.
                    let handle = async move { handler(request, ctx).await };
                    // A panic is shown to the hook, and told at ERROR when dropped
                    // (nobody receives it); the loop goes on.
                    drop(CatchUnwind::new(handle, (&name, at)).await);
                    drop(slot);
                    Ok(())
                }));
            }
            Ok(())
        };
        // Returns once every handler in flight has finished: the loop drains. Handlers
        // never fail the scope (a panic is caught above).
        scope::run(&scope, accept).await.map_err(BoxError::from)
    }
}

impl<Req, H> fmt::Debug for AcceptLoop<Req, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcceptLoop")
            .field("name", &self.name)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}
