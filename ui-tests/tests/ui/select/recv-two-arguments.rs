use goscope::{chan, select};

async fn f(rx: chan::Receiver<u32>, other: chan::Receiver<u32>) {
    select! {
        v = recv(rx, other) => drop(v),
    }
}

fn main() {}
