use std::time::Duration;
use goscope::race;

async fn f() -> u32 {
    race!(deadline = Duration::from_secs(1), async { 1 }, async { 2 })
}

fn main() {}
