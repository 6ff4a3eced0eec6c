//! `select_blocking!` on a thread, and `select!` with `default` in sync code.
use goscope::{chan, select, select_blocking};

fn drain(rx: &chan::Receiver<u32>) -> Vec<u32> {
    let mut out = Vec::new();
    loop {
        select! {
            Some(v) = recv(rx) => out.push(v),
            default => return out,
        }
    }
}

fn main() {
    let (tx, rx) = chan::bounded::<u32>(0);
    let t = std::thread::spawn(move || {
        select_blocking! {
            v = recv(rx) => v,
        }
    });
    tx.send_blocking(4).unwrap();
    assert_eq!(t.join().unwrap(), Some(4));

    let (tx, rx) = chan::bounded::<u32>(3);
    for v in [1, 2, 3] {
        tx.try_send(v).unwrap();
    }
    assert_eq!(drain(&rx), [1, 2, 3]);
}
