//! A crawler over a simulated link graph: bounded fan-out with `scope!(limit = …)`, the
//! pages' links coming back over a channel, and a `select!` loop that also watches a quit
//! channel and a deadline. Stopping early cancels the fetches in flight; nothing outlives
//! the scope.
//!
//! Run: `cargo run --example crawler`

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use goscope::chan::{self, Receiver};
use goscope::{Error, scope, select};
use goscope_examples::Log;
use tokio::time::Instant;

/// The simulated web: each page and its links.
const GRAPH: &[(&str, &[&str])] = &[
    ("/", &["/docs", "/blog", "/about"]),
    ("/docs", &["/docs/chan", "/docs/scope", "/docs/select", "/"]),
    ("/docs/chan", &["/docs/select", "/docs"]),
    ("/docs/scope", &["/docs/helpers", "/docs"]),
    ("/docs/select", &["/docs/chan"]),
    ("/docs/helpers", &["/docs/scope", "/blog/retry"]),
    ("/blog", &["/blog/retry", "/blog/pools", "/"]),
    ("/blog/retry", &["/blog"]),
    ("/blog/pools", &["/blog", "/docs/helpers"]),
    ("/about", &["/"]),
];

/// Counts a fetch as running until it is dropped — finished or cancelled.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Fetches `url` (10–30 ms) and returns its links.
async fn fetch(url: &'static str) -> Vec<&'static str> {
    tokio::time::sleep(Duration::from_millis(10 + 10 * (url.len() as u64 % 3))).await;
    GRAPH
        .iter()
        .find(|(page, _)| *page == url)
        .map_or_else(Vec::new, |(_, links)| links.to_vec())
}

/// Crawls from `start`, at most `limit` fetches at once, until every page is seen, `quit`
/// receives, or `deadline` passes. Returns the pages seen.
async fn crawl(
    start: &'static str,
    limit: usize,
    deadline: Duration,
    quit: Receiver<()>,
    log: &Log,
) -> Result<BTreeSet<&'static str>, Error> {
    let (found, links) = chan::unbounded::<Vec<&'static str>>();
    let busy = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let ends = Instant::now() + deadline;
    let mut seen = BTreeSet::from([start]);
    let mut in_flight = 0;
    let crawled: Result<_, Error> = scope!(limit = limit, |s| {
        let fetch_page = |url: &'static str| {
            let (found, busy, most) = (found.clone(), Arc::clone(&busy), Arc::clone(&most));
            s.spawn(async move {
                let now = busy.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                let running = Running(busy);
                let page_links = fetch(url).await;
                drop(running);
                let _ = found.send(page_links).await;
                Ok(())
            });
        };
        fetch_page(start);
        in_flight += 1;
        while in_flight > 0 {
            select! {
                Some(page_links) = recv(links) => {
                    in_flight -= 1;
                    for link in page_links {
                        if seen.insert(link) {
                            fetch_page(link);
                            in_flight += 1;
                        }
                    }
                }
                _ = recv(quit) => {
                    log.say(format!("    quit: {in_flight} fetches in flight are cancelled"));
                    s.token().cancel();
                    break;
                }
                _ = after(ends.saturating_duration_since(Instant::now())) => {
                    log.say(format!("    deadline: {in_flight} fetches in flight are cancelled"));
                    s.token().cancel();
                    break;
                }
            }
        }
        Ok(seen)
    });
    let seen = crawled?;
    log.say(format!(
        "    at most {} fetches ran at once; {} still running after the scope",
        most.load(Ordering::SeqCst),
        busy.load(Ordering::SeqCst)
    ));
    Ok(seen)
}

/// The scenario, narrated into `log`.
pub(crate) async fn run(log: &Log) {
    log.say("1. crawl everything, 3 fetches at a time, with a 1 s deadline");
    let (_keep_open, quit) = chan::bounded::<()>(1);
    match crawl("/", 3, Duration::from_secs(1), quit, log).await {
        Ok(seen) => log.say(format!("   saw {} pages: {seen:?}", seen.len())),
        Err(e) => log.say(format!("   failed: {e}")),
    }

    log.say("2. the same crawl with a 35 ms deadline");
    let (_keep_open, quit) = chan::bounded::<()>(1);
    match crawl("/", 3, Duration::from_millis(35), quit, log).await {
        Ok(seen) => log.say(format!("   saw {} pages before the deadline", seen.len())),
        Err(e) => log.say(format!("   failed: {e}")),
    }

    log.say("3. the user quits after 25 ms");
    let (stop, quit) = chan::bounded::<()>(1);
    goscope::go(async move {
        tokio::time::sleep(Duration::from_millis(25)).await;
        let _ = stop.send(()).await;
    })
    .detach();
    match crawl("/", 3, Duration::from_secs(1), quit, log).await {
        Ok(seen) => log.say(format!("   saw {} pages before quitting", seen.len())),
        Err(e) => log.say(format!("   failed: {e}")),
    }
}

#[allow(dead_code)]
#[tokio::main]
async fn main() {
    run(&Log::new()).await;
}
