use goscope::{Error, scope};

async fn f() -> Result<(), Error> {
    scope!(deadline = std::time::Duration::from_secs(1), |s| { Ok(()) })
}

fn main() {}
