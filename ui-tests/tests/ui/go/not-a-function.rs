use goscope::go;

#[go]
struct Config {
    retries: u32,
}

fn main() {}
