//! Every form of `all!` and `race!` compiles. (The expansion uses no edition-specific
//! syntax; a doctest on `race!` checks it in edition 2021.)

use std::time::Duration;
use goscope::{Error, all, race};

#[derive(Debug)]
struct AppError;

impl From<String> for AppError {
    fn from(_: String) -> Self {
        AppError
    }
}

async fn lookup(n: u32) -> Result<u32, String> {
    Ok(n)
}

async fn forms() -> Result<u32, AppError> {
    let (a,) = all!(async { 1u32 });
    let (b, c) = all!(lookup(2)?, lookup(3));
    let d: u32 = race!(async { 4 }, async { 5 });
    let e: u32 = race!(biased; async { 6 }, async { 7 });
    let f: Result<u32, String> = race!(ok: lookup(8), lookup(9));
    let g: Result<u32, Error> = race!(timeout = Duration::from_secs(1), async { 10 });
    let h: Result<Result<u32, String>, Error> =
        race!(biased; ok: timeout = Duration::from_secs(1), lookup(11), lookup(12));
    let task = goscope::go(async { 13u32 });
    let (i,) = all!(task);
    // Trailing commas.
    let (j, k) = all!(async { 14u32 }, async { 15u32 },);
    Ok(a + b + c.unwrap() + d + e + f.unwrap() + g.unwrap() + h.unwrap().unwrap() + i.unwrap() + j + k)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert!(forms().await.is_ok());
}
