//! Sizes of goscope's channel handles and futures next to its peers', and the heap one
//! channel takes, as a markdown table.
//!
//! Run: `cargo run --release -p goscope-benches --bin chan_sizes`.
//!
//! Handles and futures: `size_of_val` of a `u64` channel's sender and receiver, and of
//! the future that `send(0)` and `recv()` return, never polled. The async handles of
//! peers that have them (kanal's `AsyncSender`, crossfire's `AsyncTx`/`MAsyncTx`, …); the
//! blocking-only peers have no futures. Heap: the bytes still allocated after building
//! the channel (both ends alive), counted by this binary's global allocator: a
//! rendezvous (capacity 0), capacity 64 empty and holding 64 values, and unbounded empty and
//! holding 64 values. n/a: the peer has no such channel (Tokio, async-channel and crossfire have
//! no rendezvous; crossfire's `bounded(0)` is a capacity-1 channel).

use std::alloc::{GlobalAlloc, Layout, System};
use std::mem::size_of_val;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; the counter is a side effect.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc`, passed on.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { System.dealloc(p, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc`, passed on.
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The bytes that `make`'s result keeps allocated.
fn heap<T>(make: impl FnOnce() -> T) -> Option<usize> {
    let before = LIVE.load(Ordering::Relaxed);
    let kept = make();
    let bytes = LIVE.load(Ordering::Relaxed) - before;
    drop(kept);
    Some(bytes)
}

/// One row of the table.
struct Row {
    peer: &'static str,
    sender: usize,
    receiver: usize,
    send_future: Option<usize>,
    recv_future: Option<usize>,
    /// Rendezvous; capacity 64 empty; capacity 64 holding 64; unbounded empty; unbounded
    /// holding 64.
    heap: [Option<usize>; 5],
}

/// The channel's sender, receiver and (for async peers) their futures.
macro_rules! handles {
    ($new:expr) => {{
        let (tx, rx) = $new;
        (size_of_val(&tx), size_of_val(&rx))
    }};
    ($new:expr, async) => {{
        let (tx, rx) = $new;
        let sizes = (size_of_val(&tx), size_of_val(&rx));
        let send = size_of_val(&tx.send(0));
        let recv = size_of_val(&rx.recv());
        (sizes.0, sizes.1, Some(send), Some(recv))
    }};
}

/// A channel from `$new`, holding `$n` values sent with `$send` (which returns whether it
/// sent).
macro_rules! filled {
    ($new:expr, $n:expr, |$tx:ident, $v:ident| $send:expr) => {
        heap(|| {
            let ($tx, rx) = $new;
            for $v in 0..$n {
                assert!($send);
            }
            ($tx, rx)
        })
    };
}

fn goscope() -> Row {
    use goscope::chan::{bounded, unbounded};
    let (sender, receiver, send_future, recv_future) = handles!(bounded::<u64>(64), async);
    Row {
        peer: "goscope",
        sender,
        receiver,
        send_future,
        recv_future,
        heap: [
            heap(|| bounded::<u64>(0)),
            heap(|| bounded::<u64>(64)),
            filled!(bounded(64), 64u64, |tx, v| tx.try_send(v).is_ok()),
            heap(unbounded::<u64>),
            filled!(unbounded(), 64u64, |tx, v| tx.try_send(v).is_ok()),
        ],
    }
}

fn kanal() -> Row {
    use kanal::{bounded_async, unbounded_async};
    let (sender, receiver, send_future, recv_future) = handles!(bounded_async::<u64>(64), async);
    Row {
        peer: "kanal",
        sender,
        receiver,
        send_future,
        recv_future,
        heap: [
            heap(|| bounded_async::<u64>(0)),
            heap(|| bounded_async::<u64>(64)),
            filled!(bounded_async(64), 64u64, |tx, v| tx.try_send(v).unwrap()),
            heap(unbounded_async::<u64>),
            filled!(unbounded_async(), 64u64, |tx, v| tx.try_send(v).unwrap()),
        ],
    }
}

/// crossfire's rows, one per module, with the async types the bench uses.
macro_rules! crossfire {
    ($peer:expr, $module:ident) => {{
        use crossfire::$module::{bounded_async, unbounded_async};
        let (sender, receiver, send_future, recv_future) =
            handles!(bounded_async::<u64>(64), async);
        Row {
            peer: $peer,
            sender,
            receiver,
            send_future,
            recv_future,
            heap: [
                None,
                heap(|| bounded_async::<u64>(64)),
                filled!(bounded_async(64), 64u64, |tx, v| tx.try_send(v).is_ok()),
                heap(unbounded_async::<u64>),
                filled!(unbounded_async(), 64u64, |tx, v| tx.try_send(v).is_ok()),
            ],
        }
    }};
}

fn flume() -> Row {
    use flume::{bounded, unbounded};
    let (tx, rx) = bounded::<u64>(64);
    Row {
        peer: "flume",
        sender: size_of_val(&tx),
        receiver: size_of_val(&rx),
        send_future: Some(size_of_val(&tx.send_async(0))),
        recv_future: Some(size_of_val(&rx.recv_async())),
        heap: [
            heap(|| bounded::<u64>(0)),
            heap(|| bounded::<u64>(64)),
            filled!(bounded(64), 64u64, |tx, v| tx.try_send(v).is_ok()),
            heap(unbounded::<u64>),
            filled!(unbounded(), 64u64, |tx, v| tx.try_send(v).is_ok()),
        ],
    }
}

fn async_channel() -> Row {
    use async_channel::{bounded, unbounded};
    let (sender, receiver, send_future, recv_future) = handles!(bounded::<u64>(64), async);
    Row {
        peer: "async-channel",
        sender,
        receiver,
        send_future,
        recv_future,
        heap: [
            None,
            heap(|| bounded::<u64>(64)),
            filled!(bounded(64), 64u64, |tx, v| tx.try_send(v).is_ok()),
            heap(unbounded::<u64>),
            filled!(unbounded(), 64u64, |tx, v| tx.try_send(v).is_ok()),
        ],
    }
}

fn tokio() -> Row {
    use tokio::sync::mpsc::{channel, unbounded_channel};
    let (mut tx, mut rx) = channel::<u64>(64);
    let send_future = Some(size_of_val(&tx.send(0)));
    let recv_future = Some(size_of_val(&rx.recv()));
    (tx, rx) = channel(64);
    Row {
        peer: "tokio::mpsc",
        sender: size_of_val(&tx),
        receiver: size_of_val(&rx),
        send_future,
        recv_future,
        heap: [
            None,
            heap(|| channel::<u64>(64)),
            filled!(channel(64), 64u64, |tx, v| tx.try_send(v).is_ok()),
            heap(unbounded_channel::<u64>),
            filled!(unbounded_channel(), 64u64, |tx, v| tx.send(v).is_ok()),
        ],
    }
}

fn crossbeam() -> Row {
    use crossbeam_channel::{bounded, unbounded};
    let (sender, receiver) = handles!(bounded::<u64>(64));
    Row {
        peer: "crossbeam-channel",
        sender,
        receiver,
        send_future: None,
        recv_future: None,
        heap: [
            heap(|| bounded::<u64>(0)),
            heap(|| bounded::<u64>(64)),
            filled!(bounded(64), 64u64, |tx, v| tx.try_send(v).is_ok()),
            heap(unbounded::<u64>),
            filled!(unbounded(), 64u64, |tx, v| tx.send(v).is_ok()),
        ],
    }
}

fn std_mpsc() -> Row {
    use std::sync::mpsc::{channel, sync_channel};
    let (sender, receiver) = handles!(sync_channel::<u64>(64));
    Row {
        peer: "std::sync::mpsc",
        sender,
        receiver,
        send_future: None,
        recv_future: None,
        heap: [
            heap(|| sync_channel::<u64>(0)),
            heap(|| sync_channel::<u64>(64)),
            filled!(sync_channel(64), 64u64, |tx, v| tx.try_send(v).is_ok()),
            heap(channel::<u64>),
            filled!(channel(), 64u64, |tx, v| tx.send(v).is_ok()),
        ],
    }
}

fn main() {
    let rows = [
        goscope(),
        kanal(),
        crossfire!("crossfire (spsc)", spsc),
        crossfire!("crossfire (mpsc)", mpsc),
        crossfire!("crossfire (mpmc)", mpmc),
        flume(),
        async_channel(),
        tokio(),
        crossbeam(),
        std_mpsc(),
    ];
    let bytes = |n: Option<usize>| n.map_or("n/a".to_owned(), |n| format!("{n} B"));
    println!(
        "| peer | `Sender<u64>` | `Receiver<u64>` | `send(0)` future | `recv()` future \
         | heap: cap 0 | heap: cap 64 | heap: cap 64, 64 held | heap: unbounded | heap: unbounded, 64 held |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for row in rows {
        println!(
            "| {} | {} B | {} B | {} | {} | {} | {} | {} | {} | {} |",
            row.peer,
            row.sender,
            row.receiver,
            bytes(row.send_future),
            bytes(row.recv_future),
            bytes(row.heap[0]),
            bytes(row.heap[1]),
            bytes(row.heap[2]),
            bytes(row.heap[3]),
            bytes(row.heap[4]),
        );
    }
}
