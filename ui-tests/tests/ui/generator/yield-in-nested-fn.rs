use goscope::{Generator, generator, yield_};

#[generator]
fn outer() -> Generator<u32> {
    fn helper() {
        yield_!(1);
    }
    helper();
    yield_!(2);
}

fn main() {}
