//! Seed 000's search with fallback: ask two backends, take whichever answers first, and
//! give up after a deadline (`race!(timeout = …)`); then the first *successful* answer of
//! several, skipping the ones that fail (`race!(ok: …)`).
//!
//! Run: `cargo run --example aggregation`

use std::time::Duration;

use goscope::{Error, race};
use goscope_examples::Log;

/// A simulated search backend: answers after `ms`, or fails.
async fn search(
    backend: &'static str,
    ms: u64,
    fails: bool,
    log: &Log,
) -> Result<Vec<String>, String> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    if fails {
        log.say(format!("    {backend} failed after {ms} ms"));
        return Err(format!("{backend}: connection refused"));
    }
    log.say(format!("    {backend} answered after {ms} ms"));
    Ok(vec![
        format!("{backend}: rust book"),
        format!("{backend}: go book"),
    ])
}

/// Elastic or the database, whichever is first; nothing after `deadline`.
async fn search_products(
    elastic_ms: u64,
    database_ms: u64,
    deadline: Duration,
    log: &Log,
) -> Vec<String> {
    let first = race!(
        timeout = deadline,
        search("elastic", elastic_ms, false, log),
        search("database", database_ms, false, log),
    );
    match first {
        Ok(Ok(products)) => products,
        Ok(Err(e)) => {
            log.say(format!("    the first to answer failed: {e}"));
            Vec::new()
        }
        Err(Error::TimedOut(d)) => {
            log.say(format!("    no answer within {d:?}: an empty page"));
            Vec::new()
        }
        Err(e) => {
            log.say(format!("    {e}"));
            Vec::new()
        }
    }
}

/// The first backend that answers successfully; the last error if every one fails.
async fn first_success(log: &Log) -> Result<Vec<String>, String> {
    race!(
        ok:
        search("primary", 10, true, log),
        search("mirror", 30, false, log),
        search("archive", 60, false, log),
    )
}

/// The scenario, narrated into `log`.
pub(crate) async fn run(log: &Log) {
    log.say("1. race!(timeout = 100ms): the faster backend wins, the slower is dropped");
    let products = search_products(20, 70, Duration::from_millis(100), log).await;
    log.say(format!("   {products:?}"));

    log.say("2. both backends slower than the 50 ms deadline");
    let products = search_products(80, 90, Duration::from_millis(50), log).await;
    log.say(format!("   {products:?}"));

    log.say(
        "3. race!(ok: …): primary fails first, the mirror's answer wins, the archive is dropped",
    );
    match first_success(log).await {
        Ok(products) => log.say(format!("   {products:?}")),
        Err(e) => log.say(format!("   every backend failed, the last with: {e}")),
    }
}

#[allow(dead_code)]
#[tokio::main]
async fn main() {
    run(&Log::new()).await;
}
