use goscope::{chan, select};

async fn f(rx: chan::Receiver<u32>, quit: chan::Receiver<()>) {
    select! {
        v = recv(rx) => drop(v)
        _ = recv(quit) => (),
    }
}

fn main() {}
