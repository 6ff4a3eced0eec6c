use goscope::{chan, select};

async fn f(rx: chan::Receiver<u32>) {
    select! {
        v = recv(rx) => drop(v),
        default => (),
        default => (),
    }
}

fn main() {}
