use goscope::select;

async fn f(rx: tokio::sync::mpsc::Receiver<u32>) {
    select! {
        v = recv(rx) => drop(v),
    }
}

fn main() {}
