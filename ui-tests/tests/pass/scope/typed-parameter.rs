//! The scope's error type named on the closure parameter, the form rustc's inference hint
//! suggests: `let x = scope!(…)?;` needs no other annotation.

use std::time::Duration;

use goscope::{Scope, scope};

#[derive(Debug)]
enum AppError {
    Runtime(goscope::Error),
    NotFound,
}

impl From<goscope::Error> for AppError {
    fn from(e: goscope::Error) -> Self {
        AppError::Runtime(e)
    }
}

async fn find(id: u32) -> Result<u32, AppError> {
    if id == 0 { Err(AppError::NotFound) } else { Ok(id) }
}

async fn total() -> Result<u32, AppError> {
    // The result goes straight into `?`: only the parameter names the error type.
    let a = scope!(|s: Scope<'_, AppError>| {
        let x = s.spawn(find(1));
        Ok(x.await? + 1)
    })?;
    // With options, and the full path.
    let b = scope!(timeout = Duration::from_secs(1), limit = 2, |s: goscope::Scope<'_, AppError>| {
        let y = s.spawn_local(find(2));
        Ok(y.await?)
    })?;
    // `_` for the error type leaves it to the body.
    let c = scope!(|s: Scope<'_, _>| {
        let z = s.spawn(async { Ok::<_, AppError>(3) });
        Ok::<_, AppError>(z.await?)
    })?;
    Ok(a + b + c)
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert_eq!(rt.block_on(total()).unwrap(), 2 + 2 + 3);
}
