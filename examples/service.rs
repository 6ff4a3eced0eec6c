//! The task manager running a small service: a simulated database and a cache are
//! initialised in order, then an order-processing accept loop, a metrics ticker and a
//! client run in parallel until Ctrl-C or a deadline; then everything is cleaned up in
//! reverse order. It prints each phase as it happens.
//!
//! Run: `cargo run --example service` (Ctrl-C stops it early; otherwise it stops itself
//! after 300 ms).

use std::borrow::Cow;
use std::time::Duration;

use goscope::CancellationToken;
use goscope::chan;
use goscope::manager::{AcceptLoop, BoxError, Manager, Service, Ticker};
use goscope_examples::Log;

/// A simulated database: connects first, disconnects last.
struct Database {
    log: Log,
}

impl Service for Database {
    fn name(&self) -> Cow<'static, str> {
        "database".into()
    }

    async fn initialize(&mut self) -> Result<(), BoxError> {
        tokio::time::sleep(Duration::from_millis(30)).await; // connecting
        self.log.say("initialize: database connected");
        Ok(())
    }

    async fn execute(&self, ctx: CancellationToken) -> Result<(), BoxError> {
        ctx.cancelled().await; // serves queries until the shutdown
        self.log.say("execute: database told to stop");
        Ok(())
    }

    async fn cleanup(&mut self) -> Result<(), BoxError> {
        self.log.say("cleanup: database disconnected");
        Ok(())
    }
}

/// A cache warmed from the database: initialised after it, cleaned up before it.
struct Cache {
    log: Log,
}

impl Service for Cache {
    fn name(&self) -> Cow<'static, str> {
        "cache".into()
    }

    async fn initialize(&mut self) -> Result<(), BoxError> {
        tokio::time::sleep(Duration::from_millis(10)).await; // reads from the database
        self.log.say("initialize: cache warmed from the database");
        Ok(())
    }

    async fn execute(&self, ctx: CancellationToken) -> Result<(), BoxError> {
        ctx.cancelled().await;
        Ok(())
    }

    async fn cleanup(&mut self) -> Result<(), BoxError> {
        self.log.say("cleanup: cache flushed");
        Ok(())
    }
}

/// The service: `signals` makes Ctrl-C (and SIGTERM) shut it down too.
pub(crate) async fn run(log: &Log, signals: bool) {
    let (orders, incoming) = chan::bounded::<u32>(8);
    let mut manager = Manager::new();
    if signals {
        manager.shutdown_on_signals();
    }
    let handled = log.clone();
    let ticks = log.clone();
    manager
        .add(Database { log: log.clone() })
        .add(Cache { log: log.clone() })
        .add(AcceptLoop::new(
            "orders",
            incoming,
            4,
            move |order: u32, _ctx| {
                let log = handled.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(15)).await; // charge, ship
                    log.say(format!("execute: order {order} handled"));
                }
            },
        ))
        .add(Ticker::new(
            "metrics",
            Duration::from_millis(100),
            move || {
                let log = ticks.clone();
                async move {
                    log.say("execute: metrics flushed");
                    Ok(())
                }
            },
        ));
    // An execute-only task: a client placing five orders, 20 ms apart.
    manager.add_execute("client", move |ctx| async move {
        for order in 1..=5 {
            if ctx
                .run_until_cancelled(tokio::time::sleep(Duration::from_millis(20)))
                .await
                .is_none()
            {
                break;
            }
            orders.send(order).await?;
        }
        Ok(())
    });

    let shutdown = manager.shutdown_token();
    let deadline = log.clone();
    let stopper = goscope::go(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        deadline.say("deadline: shutting down");
        shutdown.cancel();
    });
    log.say("manager: starting");
    match manager.run().await {
        Ok(()) => log.say("manager: stopped cleanly"),
        Err(e) => log.say(format!("manager: failed: {e}")),
    }
    drop(stopper); // already done, or cancelled if a signal came first
}

#[allow(dead_code)]
#[tokio::main]
async fn main() {
    run(&Log::new(), true).await;
}
