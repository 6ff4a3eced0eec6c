use goscope::go;

#[go(name = 5)]
async fn charge(cents: u64) -> u64 {
    cents
}

fn main() {}
