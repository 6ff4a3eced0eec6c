use goscope::{Error, scope};

async fn f() -> Result<(), Error> {
    scope!(|s, t| { Ok(()) })
}

fn main() {}
