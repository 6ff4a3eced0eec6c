use goscope::{Error, scope};

async fn f() -> Result<(), Error> {
    scope!(|s: | { Ok(()) })
}

fn main() {}
