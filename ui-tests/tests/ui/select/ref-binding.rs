use goscope::{chan, select};

async fn f(rx: chan::Receiver<String>) {
    select! {
        Some(ref s) = recv(rx) => println!("{s}"),
    }
}

fn main() {}
