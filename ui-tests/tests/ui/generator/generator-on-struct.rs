use goscope::generator;

#[generator]
struct Numbers {
    max: u32,
}

fn main() {}
