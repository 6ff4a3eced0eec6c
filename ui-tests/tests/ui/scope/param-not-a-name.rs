use goscope::{Error, scope};

async fn f() -> Result<(), Error> {
    scope!(|(a, b)| { Ok(()) })
}

fn main() {}
