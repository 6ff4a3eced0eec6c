use goscope::{chan, select};

async fn f(rx: chan::Receiver<u32>) {
    select! {
        v = recv(rx), if => drop(v),
    }
}

fn main() {}
