//! The one rule by which `race!`, `goscope::race` and `goscope::race_ok` pick among
//! futures ready at the same poll (documented on `goscope::race`): a uniformly random start
//! drawn from the thread's generator, so `select::seed` replays it; `biased;` starts at the
//! first. Asserted on counts over seeds, never on timing: every future here is ready (or
//! never) at the first poll, on a current-thread runtime.
//!
//! Then the named futures the functions over sets return (`All`, `Race`, …): stored in a
//! struct, shown with `Debug`, and what dropping one drops.

use std::future::{Future, pending, poll_fn};
use std::task::Poll;

use goscope::{race, select};
use goscope_tests::{Drops, Probe};

/// A future that is ready with `value` at its first poll, or never.
fn ready_if(ready: bool, value: usize) -> impl Future<Output = usize> {
    poll_fn(move |_| {
        if ready {
            Poll::Ready(value)
        } else {
            Poll::Pending
        }
    })
}

/// `n` futures, ready at the indices in `ready`.
fn futures(n: usize, ready: &[usize]) -> Vec<impl Future<Output = usize>> {
    (0..n).map(|i| ready_if(ready.contains(&i), i)).collect()
}

/// As `futures`, each ready one an `Ok`, the others never ready.
fn oks(n: usize, ready: &[usize]) -> Vec<impl Future<Output = Result<usize, ()>>> {
    (0..n)
        .map(|i| {
            let fut = ready_if(ready.contains(&i), i);
            async move { Ok(fut.await) }
        })
        .collect()
}

fn on_this_thread<T>(body: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(body)
}

/// Which races this file checks: a macro, a small set, a large set (above 30: only the
/// woken are polled), and `race_ok` — each over its own ready futures.
const RACES: [&str; 5] = ["race!", "race(5)", "race(40)", "race_ok(5)", "race_ok(40)"];

/// The ready futures of race `which`.
fn ready_of(which: &str) -> &'static [usize] {
    match which {
        "race!" => &[0, 1, 2],
        "race(5)" | "race_ok(5)" => &[0, 2, 3, 4],
        _ => &[0, 13, 31, 39],
    }
}

/// One race `which`; its winner.
async fn run(which: &str) -> usize {
    let ready = ready_of(which);
    match which {
        "race!" => race!(ready_if(true, 0), ready_if(true, 1), ready_if(true, 2)),
        "race(5)" => goscope::race(futures(5, ready)).await,
        "race(40)" => goscope::race(futures(40, ready)).await,
        "race_ok(5)" => goscope::race_ok(oks(5, ready)).await.unwrap(),
        "race_ok(40)" => goscope::race_ok(oks(40, ready)).await.unwrap(),
        other => unreachable!("{other}"),
    }
}

#[test]
fn a_seed_replays_which_ready_future_wins() {
    on_this_thread(async {
        for which in RACES {
            for seed in [0, 1, 0x5eed, u64::MAX] {
                select::seed(seed);
                let mut first = Vec::new();
                for _ in 0..40 {
                    first.push(run(which).await);
                }
                select::seed(seed);
                let mut again = Vec::new();
                for _ in 0..40 {
                    again.push(run(which).await);
                }
                assert_eq!(first, again, "{which}, seed {seed}");
                assert!(first.iter().all(|w| ready_of(which).contains(w)), "{which}");
            }
        }
    });
}

#[test]
fn over_many_seeds_every_ready_future_wins() {
    on_this_thread(async {
        for which in RACES {
            let ready = ready_of(which);
            let mut wins = vec![0usize; 40];
            for seed in 0..400 {
                select::seed(seed);
                wins[run(which).await] += 1;
            }
            for (index, &won) in wins.iter().enumerate() {
                if ready.contains(&index) {
                    assert!(won > 0, "{which}: ready future {index} never won: {wins:?}");
                } else {
                    assert_eq!(won, 0, "{which}: future {index} was never ready");
                }
            }
        }
    });
}

#[test]
fn every_race_follows_the_one_rule_the_same_seed_the_same_winner() {
    on_this_thread(async {
        for seed in 0..50 {
            select::seed(seed);
            let by_macro = race!(ready_if(true, 0), ready_if(true, 1), ready_if(true, 2));
            select::seed(seed);
            let by_fn = goscope::race(futures(3, &[0, 1, 2])).await;
            select::seed(seed);
            let by_ok = goscope::race_ok(oks(3, &[0, 1, 2])).await.unwrap();
            assert_eq!((by_macro, by_macro), (by_fn, by_ok), "seed {seed}");
        }
    });
}

#[test]
fn biased_always_picks_the_first_ready_branch() {
    on_this_thread(async {
        for seed in 0..100 {
            select::seed(seed);
            let won = race!(biased;
                ready_if(false, 0),
                ready_if(true, 1),
                ready_if(true, 2),
                ready_if(true, 3),
            );
            assert_eq!(won, 1, "seed {seed}");
            let ok = race!(biased; ok:
                async { Err::<usize, usize>(0) },
                async { Ok::<usize, usize>(1) },
                async { Ok::<usize, usize>(2) },
            );
            assert_eq!(ok, Ok(1), "seed {seed}");
        }
    });
}

// ===== the named futures =====

#[tokio::test(start_paused = true)]
async fn the_set_functions_return_named_futures_that_can_be_stored_and_shown() {
    struct Joins {
        all: goscope::All<std::future::Ready<u32>>,
        race: goscope::Race<std::future::Ready<u32>>,
        settle: goscope::Settle<std::future::Ready<u32>>,
    }
    let joins = Joins {
        all: goscope::all([std::future::ready(1), std::future::ready(2)]),
        race: goscope::race([std::future::ready(3)]),
        settle: goscope::settle([std::future::ready(4)]),
    };
    assert!(format!("{:?}", joins.all).starts_with("All"));
    assert!(format!("{:?}", joins.race).starts_with("Race"));
    assert_eq!(joins.all.await, [1, 2]);
    assert_eq!(joins.race.await, 3);
    assert_eq!(joins.settle.await[0].as_ref().ok(), Some(&4));

    let map: goscope::Map<u32> = goscope::map(vec![1u32, 2], 2, |n| async move { n * 10 });
    assert_eq!(format!("{map:?}"), "Map { .. }");
    assert_eq!(map.await.unwrap(), [10, 20]);
}

#[tokio::test(start_paused = true)]
async fn dropping_a_join_or_a_race_drops_every_future_at_once() {
    for len in [3, 100] {
        let drops = Drops::default();
        let guarded = |ready: bool| {
            let guard = drops.guard();
            async move {
                let _guard = guard;
                if !ready {
                    pending::<()>().await;
                }
                Ok::<u32, u32>(1)
            }
        };
        let probe = Probe::new();
        let mut join = goscope::all((0..len).map(|i| guarded(i != 0)));
        assert!(probe.poll(&mut join).is_pending());
        drop(join);
        assert_eq!(drops.count(), len, "all");

        let mut race = goscope::race((0..len).map(|_| guarded(false)));
        assert!(probe.poll(&mut race).is_pending());
        drop(race);
        assert_eq!(drops.count(), 2 * len, "race");

        // A finished race or `try_all` has dropped its losers before it returns.
        let ok = goscope::race_ok((0..len).map(|i| guarded(i != 0))).await;
        assert_eq!((ok, drops.count()), (Ok(1), 3 * len), "race_ok");
    }
}
