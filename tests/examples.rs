//! Runs each example's scenario (its `run`) under paused time and checks what it said:
//! the examples are documentation, and this keeps them true.

use goscope_examples::Log;

#[path = "../examples/aggregation.rs"]
mod aggregation;
#[path = "../examples/crawler.rs"]
mod crawler;
#[path = "../examples/dashboard.rs"]
mod dashboard;
#[path = "../examples/flights.rs"]
mod flights;
#[path = "../examples/service.rs"]
mod service;
#[path = "../examples/tour.rs"]
mod tour;

#[tokio::test(start_paused = true)]
async fn dashboard_joins_four_fetches_then_fails_fast() {
    let log = Log::quiet();
    dashboard::run(&log).await;
    let lines = log.lines();
    assert_eq!(
        lines,
        [
            "1. every fetch succeeds: the page takes as long as the slowest fetch (80 ms), not the sum (170 ms)",
            "    notifications fetched in 10 ms",
            "    user fetched in 30 ms",
            "    posts fetched in 50 ms",
            "    stats fetched in 80 ms",
            "   page: user-7: 2 posts, 3 notifications, 42 views (after ~80 ms)",
            "2. the notifications service is down: the request fails as soon as it does",
            "    notifications fetch failed after 10 ms",
            "    user fetch dropped unfinished",
            "    posts fetch dropped unfinished",
            "    stats fetch dropped unfinished",
            "   request failed: notifications service unavailable (after ~10 ms)",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn aggregation_races_with_a_deadline_and_for_the_first_success() {
    let log = Log::quiet();
    aggregation::run(&log).await;
    assert_eq!(
        log.lines(),
        [
            "1. race!(timeout = 100ms): the faster backend wins, the slower is dropped",
            "    elastic answered after 20 ms",
            r#"   ["elastic: rust book", "elastic: go book"]"#,
            "2. both backends slower than the 50 ms deadline",
            "    no answer within 50ms: an empty page",
            "   []",
            "3. race!(ok: …): primary fails first, the mirror's answer wins, the archive is dropped",
            "    primary failed after 10 ms",
            "    mirror answered after 30 ms",
            r#"   ["mirror: rust book", "mirror: go book"]"#,
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn flights_stop_the_producer_after_enough_matches() {
    let log = Log::quiet();
    flights::run(&log).await;
    let lines = log.lines();
    assert_eq!(
        lines.first().unwrap(),
        "searching for 3 non-stop flights under 200 €"
    );
    assert_eq!(lines.last().unwrap(), "found [12, 24, 30]");
    let published = lines
        .iter()
        .filter(|l| l.contains("published flight"))
        .count();
    assert_eq!(published, 3);
    // The page count when the consumer stopped is the page count 200 ms later.
    let stopped = lines.iter().find(|l| l.contains("stopped after")).unwrap();
    let pages: usize = stopped.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!(lines.contains(&format!(
        "    200 ms later: still {pages} pages fetched — the producer stopped"
    )));
    let fetched = lines
        .iter()
        .filter(|l| l.contains("producer: fetched page"))
        .count();
    assert_eq!(fetched, pages);
}

#[tokio::test(start_paused = true)]
async fn the_crawler_is_bounded_and_stops_at_the_deadline_or_on_quit() {
    let log = Log::quiet();
    crawler::run(&log).await;
    let lines = log.lines();
    assert!(lines.contains(&r#"   saw 10 pages: {"/", "/about", "/blog", "/blog/pools", "/blog/retry", "/docs", "/docs/chan", "/docs/helpers", "/docs/scope", "/docs/select"}"#.to_owned()), "{lines:#?}");
    // Every crawl kept to 3 fetches at once and left none running.
    let bounded = lines
        .iter()
        .filter(|l| *l == "    at most 3 fetches ran at once; 0 still running after the scope")
        .count();
    assert_eq!(bounded, 3, "{lines:#?}");
    assert!(
        lines.iter().any(|l| l.starts_with("    deadline: ")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("    quit: ")),
        "{lines:#?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_service_runs_its_phases_in_order_and_stops_cleanly_at_the_deadline() {
    let log = Log::quiet();
    service::run(&log, false).await;
    let lines = log.lines();
    let at = |line: &str| {
        lines
            .iter()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("no {line:?} in {lines:#?}"))
    };
    // Initialise in order, execute, stop, clean up in reverse order.
    let phases = [
        at("manager: starting"),
        at("initialize: database connected"),
        at("initialize: cache warmed from the database"),
        at("execute: order 1 handled"),
        at("deadline: shutting down"),
        at("execute: database told to stop"),
        at("cleanup: cache flushed"),
        at("cleanup: database disconnected"),
        at("manager: stopped cleanly"),
    ];
    assert!(phases.windows(2).all(|w| w[0] < w[1]), "{lines:#?}");
    for order in 1..=5 {
        at(&format!("execute: order {order} handled"));
    }
    // The ticker flushed at its start, at 100 ms and at 200 ms of the execute phase (which
    // begins 40 ms in); the deadline at 300 ms comes before the next.
    let flushes = lines
        .iter()
        .filter(|l| *l == "execute: metrics flushed")
        .count();
    assert_eq!(flushes, 3, "{lines:#?}");
}

#[test]
fn the_tour_runs_to_the_end() {
    // The tour prints as it goes and checks nothing itself; its `main` returns `Err` if a
    // step's `?` fails, and panics if a step goes wrong in a way it does not expect.
    tour::main().expect("every step of the tour succeeds");
}
