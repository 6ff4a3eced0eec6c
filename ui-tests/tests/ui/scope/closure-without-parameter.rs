use goscope::{Error, scope};

async fn f() -> Result<(), Error> {
    scope!(|| { Ok(()) })
}

fn main() {}
