//! Seed 004's flight search: a producer streams flights page by page from a slow
//! third-party API (an `AsyncGenerator`), a pool of workers applies the expensive filter
//! (`goscope::map_stream`), and the consumer stops after N matches — which stops the
//! workers and the producer: no more pages are fetched.
//!
//! Run: `cargo run --example flights`

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use goscope::{AsyncGenerator, generator, yield_};
use goscope_examples::Log;

#[derive(Clone, Debug)]
struct Flight {
    id: u32,
    price: u32,
    stops: u32,
}

/// The producer: fetches pages of 5 flights (20 ms each) for as long as it is asked for
/// more; each page fetched is counted in `pages`.
#[generator]
async fn list_flights(pages: Arc<AtomicUsize>, log: Log) -> AsyncGenerator<Flight> {
    for page in 1u32.. {
        tokio::time::sleep(Duration::from_millis(20)).await; // the third-party API
        pages.fetch_add(1, Ordering::SeqCst);
        log.say(format!("    producer: fetched page {page}"));
        for i in 0..5 {
            let id = page * 10 + i;
            yield_!(Flight {
                id,
                price: 80 + (id * 37) % 200,
                stops: id % 3,
            });
        }
    }
}

/// The complex query: non-stop and under 200, checked by a slow service (5 ms).
async fn matches(flight: &Flight) -> bool {
    tokio::time::sleep(Duration::from_millis(5)).await;
    flight.stops == 0 && flight.price < 200
}

/// Streams the first `wanted` matching flights, filtered by 4 workers.
async fn stream_flights(wanted: usize, log: &Log) -> Vec<u32> {
    let pages = Arc::new(AtomicUsize::new(0));
    let flights = list_flights(Arc::clone(&pages), log.clone());
    let mut checked = goscope::map_stream(flights, 4, |flight| async move {
        let keep = matches(&flight).await;
        (flight, keep)
    });
    let mut published = Vec::new();
    while let Some(checked) = checked.next().await {
        let Ok((flight, keep)) = checked else {
            log.say("    a filter worker panicked");
            break;
        };
        if keep {
            log.say(format!(
                "    published flight {} ({} €, non-stop)",
                flight.id, flight.price
            ));
            published.push(flight.id);
            if published.len() == wanted {
                break;
            }
        }
    }
    // Enough: dropping the stream cancels the workers and closes the producer.
    drop(checked);
    let fetched = pages.load(Ordering::SeqCst);
    log.say(format!("    stopped after {fetched} pages"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    log.say(format!(
        "    200 ms later: still {} pages fetched — the producer stopped",
        pages.load(Ordering::SeqCst)
    ));
    published
}

/// The scenario, narrated into `log`.
pub(crate) async fn run(log: &Log) {
    log.say("searching for 3 non-stop flights under 200 €");
    let found = stream_flights(3, log).await;
    log.say(format!("found {found:?}"));
}

#[allow(dead_code)]
#[tokio::main]
async fn main() {
    run(&Log::new()).await;
}
