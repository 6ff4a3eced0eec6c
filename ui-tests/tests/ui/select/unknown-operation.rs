use goscope::{chan, select};

async fn f(rx: chan::Receiver<u32>) {
    select! {
        recieve(rx) => (),
    }
}

fn main() {}
