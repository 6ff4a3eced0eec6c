use goscope::scope;

#[derive(Debug)]
struct MyError;

async fn f() -> Result<(), MyError> {
    scope!(|s| {
        Err(MyError)
    })
}

fn main() {}
