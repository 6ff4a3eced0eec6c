use goscope::{AsyncGenerator, generator, yield_};

#[generator]
fn numbers() -> AsyncGenerator<u32> {
    yield_!(1);
}

fn main() {}
