//! A long-running service under `goscope::manager`: a (simulated) database opened first
//! and closed last, an accept loop that answers requests with a bounded number of
//! handlers, a ticker that reports every second, and a client that sends requests.
//! It stops on Ctrl-C (or SIGTERM), or by itself after a few seconds, and cleans up in
//! reverse order.
//!
//! Run: `cargo run --example service`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use goscope::chan;
use goscope::manager::{AcceptLoop, BoxError, CancellationToken, Manager, Service, Ticker};
use tokio::sync::oneshot;

/// A database connection: opened in `initialize`, closed in `cleanup`.
struct Database {
    queries: Arc<AtomicU64>,
}

impl Service for Database {
    async fn initialize(&mut self) -> Result<(), BoxError> {
        tokio::time::sleep(Duration::from_millis(100)).await; // connecting…
        println!("db: connected");
        Ok(())
    }

    async fn execute(&self, ctx: CancellationToken) -> Result<(), BoxError> {
        ctx.cancelled().await; // the pool lives until shutdown
        Ok(())
    }

    async fn cleanup(&mut self) -> Result<(), BoxError> {
        println!(
            "db: closed after {} queries",
            self.queries.load(Ordering::Relaxed)
        );
        Ok(())
    }
}

/// A request to the service: a user id, and where to send the answer.
struct Lookup {
    user: u64,
    reply: oneshot::Sender<String>,
}

#[tokio::main]
async fn main() {
    let queries = Arc::new(AtomicU64::new(0));
    let (requests, incoming) = chan::bounded::<Lookup>(64);

    let mut manager = Manager::new();
    manager.shutdown_on_signals();
    let handled = Arc::clone(&queries);
    let lookup = move |req: Lookup| {
        let handled = Arc::clone(&handled);
        async move {
            tokio::time::sleep(Duration::from_millis(20)).await; // the query
            handled.fetch_add(1, Ordering::Relaxed);
            let _ = req.reply.send(format!("user-{}", req.user));
        }
    };
    manager
        .add(Database {
            queries: Arc::clone(&queries),
        })
        // At most 8 lookups at once; in-flight lookups finish on shutdown.
        .add(AcceptLoop::new("lookups", incoming, 8, lookup));
    let stats = Arc::clone(&queries);
    manager.add(Ticker::new("stats", Duration::from_secs(1), move || {
        let stats = Arc::clone(&stats);
        async move {
            println!("stats: {} queries so far", stats.load(Ordering::Relaxed));
            Ok(())
        }
    }));
    // A client, as an execute-only task: it stops with the rest.
    manager.add_execute("client", move |ctx| async move {
        let mut user = 0;
        while !ctx.is_cancelled() {
            let (reply, answer) = oneshot::channel();
            user += 1;
            if requests.send(Lookup { user, reply }).await.is_err() {
                break;
            }
            if let Ok(name) = answer.await
                && user % 20 == 0
            {
                println!("client: got {name}");
            }
        }
        Ok(())
    });
    // Stop by itself after a while (Ctrl-C stops it sooner).
    let shutdown = manager.shutdown_token();
    let timer = goscope::go(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        shutdown.cancel();
    });

    match manager.run().await {
        Ok(()) => println!("stopped cleanly"),
        Err(error) => eprintln!("stopped: {error}"),
    }
    timer.cancel();
}
