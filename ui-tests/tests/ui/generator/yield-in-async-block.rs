use goscope::{AsyncGenerator, generator, yield_};

#[generator]
async fn inner() -> AsyncGenerator<u32> {
    let fut = async {
        yield_!(1);
    };
    fut.await;
}

fn main() {}
