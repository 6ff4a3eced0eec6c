use goscope::{chan, select};

fn f(rx: chan::Receiver<u32>) {
    select! {
        v = recv(rx) => drop(v),
    }
}

fn main() {}
