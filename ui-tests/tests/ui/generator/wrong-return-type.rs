use goscope::generator;

#[generator]
fn numbers() -> Vec<u32> {
    vec![1]
}

fn main() {}
