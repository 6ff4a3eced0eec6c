use goscope::all;

struct DbError;
struct AppError;

async fn load() -> Result<u32, DbError> {
    Ok(1)
}

async fn f() -> Result<u32, AppError> {
    let (a,) = all!(load()?);
    Ok(a)
}

fn main() {}
