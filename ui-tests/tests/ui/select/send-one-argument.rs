use goscope::{chan, select};

async fn f(tx: chan::Sender<u32>) {
    select! {
        send(tx) => (),
    }
}

fn main() {}
