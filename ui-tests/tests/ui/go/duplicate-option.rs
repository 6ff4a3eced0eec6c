use goscope::go;

#[go(name = "billing.charge", name = "billing.refund")]
async fn charge(cents: u64) -> u64 {
    cents
}

fn main() {}
