use std::rc::Rc;
use std::time::Duration;

use goscope::go;

#[go]
async fn count(names: Vec<String>) -> usize {
    let shared = Rc::new(names);
    tokio::time::sleep(Duration::from_millis(1)).await;
    shared.len()
}

fn main() {}
