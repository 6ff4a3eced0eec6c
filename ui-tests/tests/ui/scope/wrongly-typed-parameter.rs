use goscope::{Error, scope};

async fn f() -> Result<(), Error> {
    scope!(|s: Vec<u8>| { Ok(()) })
}

fn main() {}
