//! The local children's nodes through `scope!`, run under Miri by `.ci/run`: handles and
//! wakers that outlive the scope and what its children borrowed, the scope's and the
//! handle's cancellation, a panic, a dropped scope future, a child that wakes itself.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Poll, Waker};

use super::*;
use crate::Error;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
}

/// Pending until the scope drops it; keeps its waker where the test can reach it after.
fn parked(kept: &Mutex<Vec<Waker>>) -> impl Future<Output = ()> + Send + '_ {
    std::future::poll_fn(move |cx| {
        kept.lock().unwrap().push(cx.waker().clone());
        Poll::Pending
    })
}

#[test]
fn handles_outlive_the_scope_and_what_its_children_borrowed() {
    let rt = runtime();
    let mut handles = Vec::new();
    {
        let data = vec![1_u32, 2, 3];
        let out: Result<(), Error> = rt.block_on(async {
            crate::scope!(|s| {
                for v in &data {
                    handles.push(s.spawn_local(async move { Ok(*v * 2) }));
                }
                Ok(())
            })
        });
        out.unwrap();
        drop(data);
    }
    let values: Vec<u32> = handles
        .into_iter()
        .map(|h| rt.block_on(h).unwrap())
        .collect();
    assert_eq!(values, [2, 4, 6]);
}

#[test]
fn the_first_failure_drops_the_borrowing_siblings_and_their_wakers_outlive_them() {
    let rt = runtime();
    let kept = Mutex::new(Vec::new());
    let mut pending = None;
    {
        let text = String::from("borrowed");
        let out: Result<(), Error> = rt.block_on(async {
            crate::scope!(|s| {
                let (text, kept) = (&text, &kept);
                pending = Some(s.spawn_local(async move {
                    parked(kept).await;
                    Ok(text.len())
                }));
                s.spawn_local(async {
                    tokio::task::yield_now().await;
                    Err::<usize, _>(Error::Cancelled)
                });
                Ok(())
            })
        });
        assert!(matches!(out, Err(Error::Cancelled)));
        drop(text);
    }
    for waker in std::mem::take(&mut *kept.lock().unwrap()) {
        waker.wake();
    }
    let pending = pending.unwrap();
    assert!(pending.is_finished());
    assert!(matches!(rt.block_on(pending), Err(Error::Cancelled)));
}

#[test]
fn a_handle_cancels_its_local_child_and_a_panic_is_captured() {
    let rt = runtime();
    let kept = Mutex::new(Vec::new());
    let out: Result<(), Error> = rt.block_on(async {
        crate::scope!(supervise, |s| {
            let parked_child = s.spawn_local(async {
                parked(&kept).await;
                Ok(1)
            });
            tokio::task::yield_now().await;
            parked_child.cancel();
            assert!(matches!(parked_child.await, Err(Error::Cancelled)));
            let panicking = s.spawn_local(async {
                if kept.lock().unwrap().len() < 10 {
                    panic!("a child panics");
                }
                Ok(2)
            });
            assert!(matches!(panicking.await, Err(Error::Panicked(_))));
            Ok(())
        })
    });
    out.unwrap();
    drop(kept);
}

#[test]
fn dropping_the_scope_future_drops_the_local_children() {
    let rt = runtime();
    let kept = Mutex::new(Vec::new());
    let mut handle = None;
    rt.block_on(async {
        let scope = std::pin::pin!(async {
            let out: Result<(), Error> = crate::scope!(|s| {
                handle = Some(s.spawn_local(async {
                    parked(&kept).await;
                    Ok(())
                }));
                std::future::pending::<()>().await;
                Ok(())
            });
            out
        });
        // One poll: the body and the child are pending; then the scope future goes.
        let mut scope = scope;
        let polled = std::future::poll_fn(|cx| Poll::Ready(scope.as_mut().poll(cx))).await;
        assert!(polled.is_pending());
    });
    let handle = handle.unwrap();
    assert!(matches!(rt.block_on(handle), Err(Error::Cancelled)));
    for waker in std::mem::take(&mut *kept.lock().unwrap()) {
        waker.wake_by_ref();
    }
}

#[test]
fn a_local_child_that_wakes_itself_does_not_starve_the_body() {
    let rt = runtime();
    let spins = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let out: Result<usize, Error> = rt.block_on(async {
        crate::scope!(|s| {
            let spinner = s.spawn_local(async {
                std::future::poll_fn(|cx| {
                    if stop.load(Ordering::SeqCst) {
                        return Poll::Ready(());
                    }
                    spins.fetch_add(1, Ordering::SeqCst);
                    cx.waker().wake_by_ref();
                    Poll::Pending
                })
                .await;
                Ok(spins.load(Ordering::SeqCst))
            });
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            stop.store(true, Ordering::SeqCst);
            spinner.await
        })
    });
    let spins = out.unwrap();
    assert!((1..10).contains(&spins), "{spins} spins");
}

#[test]
fn a_scope_is_run_once() {
    let rt = runtime();
    let scope = Scope::<Error>::new();
    let first: Result<(), Error> = rt.block_on(run(&scope, async { Ok(()) }));
    first.unwrap();
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(run(&scope, async { Ok::<(), Error>(()) }))
    }));
    assert!(again.is_err(), "a second run of the same scope panics");
}

#[test]
fn a_scope_and_its_handles_keep_their_auto_traits() {
    fn unwind_safe<T: std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    fn send_sync_unpin<T: Send + Sync + Unpin>() {}
    unwind_safe::<Scope<'static, Error>>();
    send_sync_unpin::<Scope<'static, Error>>();
    send_sync_unpin::<ScopedTask<u32, Error>>();
}
