use goscope::{Error, scope};

async fn f() -> Result<(), Error> {
    scope!(limit = 0, |s| { Ok(()) })
}

fn main() {}
