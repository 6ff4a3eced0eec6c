use goscope::{chan, select};

async fn f(rx: chan::Receiver<u32>, ready: bool) {
    select! {
        v = recv(rx) => drop(v),
        default, if ready => (),
    }
}

fn main() {}
