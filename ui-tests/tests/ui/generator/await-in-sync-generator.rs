use goscope::{Generator, generator, yield_};

#[generator]
fn numbers() -> Generator<u32> {
    std::future::ready(()).await;
    yield_!(1);
}

fn main() {
    let _g = goscope::iter! {
        std::future::ready(()).await;
        yield 1;
    };
}
