//! `after(d)` outside a runtime (SPEC): one timer thread for the whole process, and a
//! `select_blocking!` case that loses leaves no thread or timer behind. One test in its own
//! binary, so that no other test's threads are counted.

use std::time::{Duration, Instant};

use goscope::{chan, select_blocking};

/// The threads of this process, from `/proc/self/status`.
#[cfg(target_os = "linux")]
fn threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Threads:")).unwrap();
    line["Threads:".len()..].trim().parse().unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn one_timer_thread_fires_every_after_and_losing_cases_leave_no_thread_behind() {
    let (_keep, idle) = chan::bounded::<u32>(0);
    let start = Instant::now();
    let d = Duration::from_millis(30);
    let fired = select_blocking! {
        v = recv(idle) => format!("got {v:?}"),
        _ = after(d) => "timed out".to_owned(),
    };
    assert_eq!(fired, "timed out");
    assert!(start.elapsed() >= d, "fired before its deadline");
    // The timer thread now exists; nothing below may add a thread.
    let before = threads();

    let (tx, rx) = chan::bounded::<u32>(1);
    for i in 0..10_000 {
        tx.try_send(i).unwrap();
        let got = select_blocking! {
            v = recv(rx) => v,
            _ = after(Duration::from_secs(1)) => None,
        };
        assert_eq!(got, Some(i));
    }
    assert_eq!(
        threads(),
        before,
        "a losing `after` case left a thread behind"
    );

    // Still one thread for many timers at once, earliest first.
    let (_keep2, idle2) = chan::bounded::<u32>(0);
    let waits: Vec<_> = [60, 20, 40]
        .into_iter()
        .map(|ms| {
            let idle = idle2.clone();
            std::thread::spawn(move || {
                select_blocking! {
                    _ = recv(idle) => unreachable!("nothing is sent"),
                    _ = after(Duration::from_millis(ms)) => ms,
                }
            })
        })
        .collect();
    let fired: Vec<u64> = waits.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(fired, [60, 20, 40]);
    assert_eq!(threads(), before);
}
