use goscope::{Error, scope};

#[derive(Debug)]
struct MyError;

impl From<Error> for MyError {
    fn from(_: Error) -> Self {
        MyError
    }
}

async fn total() -> Result<u32, MyError> {
    let n = scope!(|s: Vec<u8>| {
        let child = s.spawn(async { Ok(1) });
        Ok(child.await? + 1)
    })?;
    Ok(n)
}

fn main() {}
