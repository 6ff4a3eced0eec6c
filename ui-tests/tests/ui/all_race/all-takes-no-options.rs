use std::time::Duration;
use goscope::all;

async fn f() -> (u32, u32) {
    all!(timeout = Duration::from_secs(1), async { 1 }, async { 2 })
}

fn main() {}
