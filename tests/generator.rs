//! Generators: laziness, `done()`, `close()` and drop, `?`, borrowed arguments, nested
//! and cross-thread generators, async generators in virtual time, early `break`, and a
//! million items without allocating.
#![deny(unused_imports)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use goscope::{AsyncGenerator, Generator, generator, yield_, yield_from};
use goscope_tests::{DropSignal, allocations};
use tokio::time::{Instant, sleep};

#[global_allocator]
static GLOBAL: goscope_tests::Counting = goscope_tests::Counting;

/// Counts what ran: body steps, drops.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicUsize>);

impl Counter {
    fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Bumps its counter when dropped.
struct Guard(Counter);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.bump();
    }
}

#[generator]
fn counted(steps: Counter, n: u32) -> Generator<u32> {
    for i in 0..n {
        steps.bump();
        yield_!(i);
    }
}

#[test]
fn nothing_runs_before_the_first_next_and_each_next_runs_one_step() {
    let steps = Counter::default();
    let mut g = counted(steps.clone(), 3);
    assert_eq!(steps.get(), 0, "lazy: the body has not started");
    assert_eq!(g.next(), Some(0));
    assert_eq!(steps.get(), 1);
    assert_eq!(g.next(), Some(1));
    assert_eq!(steps.get(), 2);
    assert_eq!(g.collect::<Vec<_>>(), [2]);
    assert_eq!(steps.get(), 3);
}

#[test]
fn done_peeks_and_the_peeked_item_comes_next() {
    let steps = Counter::default();
    let mut g = counted(steps.clone(), 2);
    assert!(!g.done());
    assert_eq!(steps.get(), 1, "done() ran the body to its first yield");
    assert!(!g.done(), "asking again does not run it further");
    assert_eq!(steps.get(), 1);
    assert_eq!(g.size_hint().0, 1, "the peeked item is known");
    assert_eq!(g.next(), Some(0));
    assert_eq!(g.next(), Some(1));
    assert!(g.done());
    assert_eq!(g.next(), None);
    assert_eq!(g.size_hint(), (0, Some(0)));
    assert_eq!(g.next(), None, "fused");
}

#[generator]
fn guarded(drops: Counter) -> Generator<u32> {
    let _guard = Guard(drops);
    let mut n = 0;
    loop {
        yield_!(n);
        n += 1;
    }
}

#[test]
fn close_and_drop_run_the_bodys_drop_glue() {
    let drops = Counter::default();
    let mut g = guarded(drops.clone());
    assert_eq!(g.next(), Some(0));
    g.close();
    assert_eq!(drops.get(), 1, "close() dropped the body's locals");
    assert_eq!(g.next(), None);
    assert!(g.done());

    let g = guarded(drops.clone());
    let firsts: Vec<u32> = g.take(3).collect();
    assert_eq!(firsts, [0, 1, 2]);
    assert_eq!(
        drops.get(),
        2,
        "dropping the generator dropped the body's locals"
    );

    // Never started: nothing to drop but the argument itself.
    drop(guarded(drops.clone()));
    assert_eq!(drops.get(), 2, "a body that never ran has no guard yet");
}

#[test]
fn early_break_stops_the_producer() {
    let steps = Counter::default();
    let drops = Counter::default();
    let mut seen = Vec::new();
    for v in guarded(drops.clone()) {
        if v == 4 {
            break;
        }
        seen.push(v);
    }
    assert_eq!(seen, [0, 1, 2, 3]);
    assert_eq!(drops.get(), 1);
    let mut g = counted(steps.clone(), 1_000);
    #[allow(clippy::while_let_on_iterator)] // the `while let` form is what is tested
    while let Some(v) = g.next() {
        if v == 9 {
            break;
        }
    }
    drop(g);
    assert_eq!(steps.get(), 10, "the body ran ten steps, no more");
}

#[generator]
fn parse_all(lines: Vec<&'static str>) -> Generator<Result<u32, std::num::ParseIntError>> {
    for line in lines {
        let n: u32 = line.parse()?;
        yield_!(Ok(n * 10));
    }
}

#[test]
fn question_mark_yields_the_error_and_ends() {
    let out: Vec<_> = parse_all(vec!["1", "2", "x", "4"]).collect();
    assert_eq!(out.len(), 3);
    assert_eq!(out[0], Ok(10));
    assert_eq!(out[1], Ok(20));
    assert!(out[2].is_err(), "the Err is the last item");
    let fine: Result<Vec<u32>, _> = parse_all(vec!["5", "6"]).collect();
    assert_eq!(fine.unwrap(), [50, 60]);
}

#[generator]
fn until_stop(words: Vec<&'static str>) -> Generator<&'static str> {
    for w in words {
        if w == "stop" {
            return;
        }
        yield_!(w);
    }
}

#[test]
fn return_ends_it() {
    let out: Vec<_> = until_stop(vec!["a", "b", "stop", "c"]).collect();
    assert_eq!(out, ["a", "b"]);
}

#[generator]
fn words(text: &str) -> Generator<'_, &str> {
    for word in text.split_whitespace() {
        yield_!(word);
    }
}

#[generator]
fn pairs<'a>(left: &'a [u32], right: &'a [u32]) -> Generator<'a, (u32, u32)> {
    for (l, r) in left.iter().zip(right) {
        yield_!((*l, *r));
    }
}

struct Library {
    books: Vec<String>,
}

impl Library {
    #[generator]
    fn titles(&self) -> Generator<'_, &str> {
        for b in &self.books {
            yield_!(b.as_str());
        }
    }
}

#[test]
fn generators_borrow_their_arguments() {
    let text = String::from("lazy by default");
    assert_eq!(words(&text).collect::<Vec<_>>(), ["lazy", "by", "default"]);
    let (l, r) = (vec![1, 2], vec![3, 4]);
    assert_eq!(pairs(&l, &r).collect::<Vec<_>>(), [(1, 3), (2, 4)]);
    let lib = Library {
        books: vec!["Dune".into(), "Emma".into()],
    };
    assert_eq!(lib.titles().collect::<Vec<_>>(), ["Dune", "Emma"]);
}

#[generator]
fn shapes(n: u32) -> Generator<String> {
    for i in 0..n {
        match i % 3 {
            0 => yield_!(format!("{i}: zero")),
            1 => {
                if let Some(half) = i.checked_div(2) {
                    goscope::yield_!(format!("{i}: half {half}"));
                }
            }
            _ => {
                yield_!(format!("{i}: nested"));
            }
        }
    }
}

#[test]
fn yields_in_match_arms_if_let_and_nested_blocks() {
    assert_eq!(
        shapes(3).collect::<Vec<_>>(),
        ["0: zero", "1: half 0", "2: nested"]
    );
}

#[generator]
fn flatten_twice(inner: Vec<u32>) -> Generator<u32> {
    // A generator driven inside another generator's body: each has its own slot.
    let mut first = counted(Counter::default(), 2);
    #[allow(clippy::while_let_on_iterator)] // polled by hand, from inside this body
    while let Some(v) = first.next() {
        yield_!(v + 100);
    }
    yield_from!(counted(Counter::default(), 2));
    yield_from!(inner);
}

#[test]
fn nested_generators_keep_their_items_apart() {
    assert_eq!(
        flatten_twice(vec![7, 8]).collect::<Vec<_>>(),
        [100, 101, 0, 1, 7, 8]
    );
    // Two interleaved generators of the same fn.
    let (mut a, mut b) = (
        counted(Counter::default(), 3),
        counted(Counter::default(), 3),
    );
    let interleaved: Vec<_> = (0..3).flat_map(|_| [a.next(), b.next()]).collect();
    assert_eq!(
        interleaved,
        [Some(0), Some(0), Some(1), Some(1), Some(2), Some(2)]
    );
}

#[test]
fn a_generator_moves_across_threads_between_items() {
    let mut g = counted(Counter::default(), 4);
    assert_eq!(g.next(), Some(0));
    let (g, second) = std::thread::spawn(move || {
        let v = g.next();
        (g, v)
    })
    .join()
    .unwrap();
    assert_eq!(second, Some(1));
    let rest = std::thread::spawn(move || g.collect::<Vec<_>>())
        .join()
        .unwrap();
    assert_eq!(rest, [2, 3]);
}

#[test]
fn iter_block_yields_and_captures_like_a_move_closure() {
    let prefix = String::from("item");
    let g = goscope::iter! {
        for i in 0..3 {
            if i == 1 {
                continue;
            }
            yield format!("{prefix}-{i}");
        }
    };
    assert_eq!(g.collect::<Vec<_>>(), ["item-0", "item-2"]);
    let inner = goscope::iter! { yield 1; yield 2; };
    let outer = goscope::iter! {
        yield 0;
        yield_from!(inner);
        yield 3;
    };
    assert_eq!(outer.collect::<Vec<_>>(), [0, 1, 2, 3]);
}

#[test]
fn a_million_items_without_allocating() {
    let mut g = goscope::iter! {
        let mut n = 0u64;
        loop {
            yield n;
            n += 1;
        }
    };
    assert_eq!(g.next(), Some(0));
    let (sum, allocated) = allocations(|| {
        let mut sum = 0u64;
        for _ in 0..1_000_000 {
            sum += g.next().unwrap();
        }
        sum
    });
    assert_eq!(sum, (1..=1_000_000u64).sum());
    assert_eq!(allocated, 0, "steady state: no allocation per item");
}

#[generator]
async fn ticks(every: Duration, n: u32) -> AsyncGenerator<(u32, Duration)> {
    let start = Instant::now();
    for i in 1..=n {
        sleep(every).await;
        yield_!((i, start.elapsed()));
    }
}

#[tokio::test(start_paused = true)]
async fn an_async_generator_awaits_between_items() {
    let out: Vec<_> = ticks(Duration::from_millis(100), 3).collect().await;
    assert_eq!(
        out,
        [
            (1, Duration::from_millis(100)),
            (2, Duration::from_millis(200)),
            (3, Duration::from_millis(300)),
        ]
    );
}

#[generator]
async fn watched(dropped: tokio::sync::oneshot::Sender<()>, steps: Counter) -> AsyncGenerator<u32> {
    let _signal = DropSignal(Some(dropped));
    yield_!(1);
    steps.bump();
    sleep(Duration::from_secs(3600)).await; // dropped in the middle of this
    steps.bump();
    yield_!(2);
}

#[tokio::test(start_paused = true)]
async fn dropping_an_async_generator_mid_await_cancels_the_await() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let steps = Counter::default();
    let mut g = watched(tx, steps.clone());
    assert_eq!(g.next().await, Some(1));
    let late = tokio::time::timeout(Duration::from_secs(1), g.next()).await;
    assert!(late.is_err(), "the body is in its hour-long sleep");
    assert_eq!(steps.get(), 1);
    drop(g);
    assert_eq!(rx.await, Ok(()), "the body was dropped");
    sleep(Duration::from_secs(7200)).await;
    assert_eq!(
        steps.get(),
        1,
        "the body never ran past the cancelled await"
    );
}

#[tokio::test]
async fn async_done_close_and_stream_delegation() {
    let mut s = goscope::stream! {
        yield_from!(futures_util::stream::iter([1, 2]));
        tokio::task::yield_now().await;
        yield 3;
    };
    assert!(!s.done().await);
    assert_eq!(s.next().await, Some(1));
    assert_eq!(StreamExt::next(&mut s).await, Some(2));
    assert_eq!(s.next().await, Some(3));
    assert!(s.done().await);

    let mut endless = goscope::stream! {
        let mut n = 0;
        loop {
            yield n;
            n += 1;
        }
    };
    assert_eq!(endless.next().await, Some(0));
    endless.close();
    assert_eq!(endless.next().await, None);
}

#[tokio::test]
async fn an_async_generator_moves_between_tasks() {
    let mut g = ticks(Duration::from_millis(1), 3);
    assert_eq!(g.next().await.map(|(i, _)| i), Some(1));
    let rest = tokio::spawn(async move { g.map(|(i, _)| i).collect::<Vec<_>>().await })
        .await
        .unwrap();
    assert_eq!(rest, [2, 3]);
}

#[tokio::test]
async fn closing_an_async_generator_runs_its_drop_glue() {
    let (tx, mut rx) = tokio::sync::oneshot::channel();
    let mut s = goscope::stream! {
        let _signal = DropSignal(Some(tx));
        let mut n = 0u32;
        loop {
            yield n;
            n += 1;
        }
    };
    assert_eq!(s.next().await, Some(0));
    assert!(rx.try_recv().is_err(), "suspended, not dropped");
    s.close();
    assert_eq!(rx.await, Ok(()), "close() dropped the body's locals");
    assert_eq!(s.next().await, None);
    assert!(s.done().await);
}
