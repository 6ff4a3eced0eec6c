//! Seed 000's dashboard handler: four fetches in parallel with `all!`, the page built from
//! all four; then one fetch fails and the whole request fails fast — the slower fetches
//! are dropped at once, not waited for.
//!
//! Run: `cargo run --example dashboard`

use std::time::Duration;

use goscope::all;
use goscope_examples::Log;
use tokio::time::Instant;

#[derive(Debug)]
struct FetchError(String);

/// Says so when a fetch is dropped before it finished (the request failed without it).
struct Cancelled<'a> {
    what: &'static str,
    done: bool,
    log: &'a Log,
}

impl Drop for Cancelled<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.log
                .say(format!("    {} fetch dropped unfinished", self.what));
        }
    }
}

/// A simulated backend call: `ms` of latency, then the value or, if `fails`, an error.
async fn fetch<T>(
    what: &'static str,
    ms: u64,
    fails: bool,
    value: T,
    log: &Log,
) -> Result<T, FetchError> {
    let mut guard = Cancelled {
        what,
        done: false,
        log,
    };
    tokio::time::sleep(Duration::from_millis(ms)).await;
    guard.done = true;
    if fails {
        log.say(format!("    {what} fetch failed after {ms} ms"));
        return Err(FetchError(format!("{what} service unavailable")));
    }
    log.say(format!("    {what} fetched in {ms} ms"));
    Ok(value)
}

/// The handler: user, posts, notifications and stats at once; the first error wins.
async fn dashboard(user_id: u64, failing: Option<&str>, log: &Log) -> Result<String, FetchError> {
    let fails = |what| failing == Some(what);
    let (user, posts, notifications, stats) = all!(
        fetch("user", 30, fails("user"), format!("user-{user_id}"), log)?,
        fetch("posts", 50, fails("posts"), vec!["hello", "goscope"], log)?,
        fetch("notifications", 10, fails("notifications"), 3, log)?,
        fetch("stats", 80, fails("stats"), (42, 7), log)?,
    );
    Ok(format!(
        "{user}: {} posts, {notifications} notifications, {} views",
        posts.len(),
        stats.0
    ))
}

/// Milliseconds since `start`, to the nearest 10 (the example runs on real time).
fn ms_since(start: Instant) -> u128 {
    (start.elapsed().as_millis() + 5) / 10 * 10
}

/// The scenario, narrated into `log`.
pub(crate) async fn run(log: &Log) {
    log.say("1. every fetch succeeds: the page takes as long as the slowest fetch (80 ms), not the sum (170 ms)");
    let start = Instant::now();
    match dashboard(7, None, log).await {
        Ok(page) => log.say(format!("   page: {page} (after ~{} ms)", ms_since(start))),
        Err(e) => log.say(format!("   unexpected: {e:?}")),
    }

    log.say("2. the notifications service is down: the request fails as soon as it does");
    let start = Instant::now();
    match dashboard(7, Some("notifications"), log).await {
        Ok(page) => log.say(format!("   unexpected page: {page}")),
        Err(FetchError(e)) => log.say(format!(
            "   request failed: {e} (after ~{} ms)",
            ms_since(start)
        )),
    }
}

#[allow(dead_code)]
#[tokio::main]
async fn main() {
    run(&Log::new()).await;
}
