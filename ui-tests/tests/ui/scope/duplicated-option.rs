use goscope::{Error, scope};

async fn f() -> Result<(), Error> {
    scope!(limit = 2, limit = 4, |s| { Ok(()) })
}

fn main() {}
