use goscope::go;

#[go(name = "")]
async fn charge(cents: u64) -> u64 {
    cents
}

fn main() {}
