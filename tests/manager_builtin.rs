//! The manager's built-in services, `goscope::manager::{Ticker, AcceptLoop}`: ticking,
//! a job's failure, bounded request handling, draining on shutdown, per-request tokens.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use goscope::CancellationToken;
use goscope::manager::{AcceptLoop, Manager, Ticker};
use goscope_tests::hook;
use goscope_tests::manager::{Log, cancel_after, events, ms, note};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn a_ticker_ticks_every_period_until_shutdown() {
    let ticks = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let seen = Arc::clone(&ticks);
    let mut manager = Manager::new();
    manager.add(Ticker::new("manager.ticker", ms(10), move || {
        let seen = Arc::clone(&seen);
        async move {
            seen.lock().unwrap().push(start.elapsed());
            Ok(())
        }
    }));
    let stopper = cancel_after(manager.shutdown_token(), ms(35));
    manager.run().await.unwrap();
    stopper.await.unwrap();
    assert_eq!(start.elapsed(), ms(35));
    assert_eq!(*ticks.lock().unwrap(), [ms(0), ms(10), ms(20), ms(30)]);
}

#[tokio::test(start_paused = true)]
async fn a_ticker_job_error_stops_the_manager() {
    let count = Arc::new(Mutex::new(0));
    let seen = Arc::clone(&count);
    let mut manager = Manager::new();
    manager.add(Ticker::new("flaky.ticker", ms(10), move || {
        let seen = Arc::clone(&seen);
        async move {
            let mut n = seen.lock().unwrap();
            *n += 1;
            if *n == 3 {
                Err("third tick failed".into())
            } else {
                Ok(())
            }
        }
    }));
    let error = manager.run().await.unwrap_err();
    assert_eq!(*count.lock().unwrap(), 3);
    assert_eq!(
        error.to_string(),
        "execute of service `flaky.ticker` failed: third tick failed"
    );
}

/// A request for the accept loop: its number, and a gate its handler waits on.
struct Request {
    n: u32,
    release: oneshot::Receiver<()>,
}

#[tokio::test(start_paused = true)]
async fn an_accept_loop_handles_requests_at_most_limit_at_once_and_drains_on_shutdown() {
    hook::install();
    let log = Log::default();
    let (requests, incoming) = goscope::chan::bounded::<Request>(8);
    let (started, mut heard) = mpsc::unbounded_channel::<u32>();
    let handler_log = Arc::clone(&log);
    let mut manager = Manager::new();
    manager.add(AcceptLoop::new(
        "manager.accept",
        incoming,
        2,
        move |req: Request, _ctx| {
            let (log, started) = (Arc::clone(&handler_log), started.clone());
            async move {
                started.send(req.n).unwrap();
                if req.n == 0 {
                    panic!("request 0 is bad");
                }
                req.release.await.unwrap();
                note(&log, format!("handled {}", req.n));
            }
        },
    ));
    let shutdown = manager.shutdown_token();
    let run = goscope::go(manager.run());

    // A panicking handler is reported and the loop goes on.
    let (_, release) = oneshot::channel();
    requests.send(Request { n: 0, release }).await.unwrap();
    assert_eq!(heard.recv().await, Some(0));
    let seen = hook::wait_for("manager.accept").await;
    assert_eq!(seen.message.as_deref(), Some("request 0 is bad"));

    let mut gates = Vec::new();
    for n in 1..=3 {
        let (gate, release) = oneshot::channel();
        gates.push(gate);
        requests.send(Request { n, release }).await.unwrap();
    }
    // Two handlers run (the limit); the third request waits in the channel.
    assert_eq!(heard.recv().await, Some(1));
    assert_eq!(heard.recv().await, Some(2));
    tokio::time::sleep(Duration::from_secs(1)).await; // every task idle
    assert!(heard.try_recv().is_err(), "a third handler started");
    assert_eq!(requests.len(), 1);

    // Shutdown: the loop stops taking requests but waits for the two in flight.
    shutdown.cancel();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !run.is_finished(),
        "the loop did not wait for its requests in flight"
    );
    for gate in gates.drain(..2) {
        gate.send(()).unwrap();
    }
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the manager ended")
        .unwrap()
        .unwrap();
    let mut handled = events(&log);
    handled.sort();
    assert_eq!(handled, ["handled 1", "handled 2"]);
    assert!(heard.try_recv().is_err(), "request 3 was never handled");
}

/// A client's connection: the lines it sends, until it hangs up (drops its sender).
struct Connection {
    id: u32,
    lines: mpsc::UnboundedReceiver<&'static str>,
}

#[tokio::test(start_paused = true)]
async fn an_accept_loop_handler_gets_the_ctx_and_a_shutdown_ends_a_long_lived_connection() {
    let log = Log::default();
    let (connections, incoming) = goscope::chan::bounded::<Connection>(1);
    let (served, mut heard) = mpsc::unbounded_channel::<&'static str>();
    let handler_log = Arc::clone(&log);
    let mut manager = Manager::new();
    manager.add(AcceptLoop::new(
        "manager.connections",
        incoming,
        4,
        move |mut conn: Connection, ctx: CancellationToken| {
            let (log, served) = (Arc::clone(&handler_log), served.clone());
            async move {
                // Serves its client until it hangs up, or until the shutdown.
                while let Some(line) = ctx.run_until_cancelled(conn.lines.recv()).await {
                    let Some(line) = line else {
                        note(&log, format!("{} hung up", conn.id));
                        return;
                    };
                    served.send(line).unwrap();
                }
                note(&log, format!("{} closed by the shutdown", conn.id));
            }
        },
    ));
    let shutdown = manager.shutdown_token();
    let run = goscope::go(manager.run());

    let (client, lines) = mpsc::unbounded_channel();
    connections.send(Connection { id: 1, lines }).await.unwrap();
    client.send("hello").unwrap();
    assert_eq!(heard.recv().await, Some("hello"));

    // The client never hangs up: only the handler's ctx can end the drain. Had it not
    // heard of the shutdown, the stop timeout would have aborted it: a failure.
    shutdown.cancel();
    run.await
        .unwrap()
        .expect("the connection closed on the shutdown: a clean stop");
    assert_eq!(events(&log), ["1 closed by the shutdown"]);
    drop(client);
}
