use goscope::{Error, scope};

async fn f() -> Result<(), Error> {
    scope!(timeout, |s| { Ok(()) })
}

fn main() {}
