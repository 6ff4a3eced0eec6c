use goscope::go;

#[go(blocking = true)]
fn checksum(data: Vec<u8>) -> u64 {
    data.iter().map(|&b| u64::from(b)).sum()
}

fn main() {}
