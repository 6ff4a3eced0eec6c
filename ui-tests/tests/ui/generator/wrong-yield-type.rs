use goscope::{Generator, generator, yield_};

#[generator]
fn numbers() -> Generator<u32> {
    yield_!(1);
    yield_!("two");
}

fn main() {}
