use goscope::{Generator, generator, yield_};

#[generator]
fn each(items: Vec<u32>) -> Generator<u32> {
    items.into_iter().for_each(|i| yield_!(i));
}

fn main() {}
