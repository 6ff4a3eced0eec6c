use goscope::go;

#[go("billing.charge")]
async fn charge(cents: u64) -> u64 {
    cents
}

fn main() {}
