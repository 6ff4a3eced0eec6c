use goscope::{Error, Scope, scope};

#[derive(Debug)]
struct AppError;

impl From<Error> for AppError {
    fn from(_: Error) -> Self {
        AppError
    }
}

async fn f() -> Result<(), Error> {
    scope!(|s: Scope<'_, AppError>| { Ok(()) })
}

fn main() {}
