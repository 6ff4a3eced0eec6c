use goscope::{Generator, generator};

#[generator]
fn numbers() -> Generator<u32> {
    yield 1;
}

fn main() {}
