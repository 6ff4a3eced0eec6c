use goscope::{Generator, generator, yield_};

#[generator]
async fn numbers() -> Generator<u32> {
    yield_!(1);
}

fn main() {}
