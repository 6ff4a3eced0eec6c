use goscope::race;

async fn f() {
    let _ = race!(timeout, async { 1 }, async { 2 });
    let _ = race!(timeout =, async { 1 }, async { 2 });
}

fn main() {}
