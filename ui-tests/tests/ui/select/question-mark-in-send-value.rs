use goscope::{chan, select};

async fn f(tx: chan::Sender<u32>, s: &str) -> Result<(), std::num::ParseIntError> {
    select! {
        send(tx, s.parse()?) => (),
    }
    Ok(())
}

fn main() {}
