#![deny(warnings)]

//! The body's `return`s and tail coerce to the declared return type, as in an `async fn`.

use std::error::Error;
use std::fmt::Display;

use goscope::go;

#[go]
async fn boxed(flag: bool) -> Box<dyn Display + Send> {
    if flag {
        return Box::new(1);
    }
    Box::new("x")
}

#[go]
async fn check(n: u32) -> Result<u32, Box<dyn Error + Send + Sync>> {
    if n == 0 {
        return Err("zero".into());
    }
    let parsed: u32 = n.to_string().parse()?;
    Ok(parsed)
}

#[go(blocking)]
fn blocking_boxed(flag: bool) -> Box<dyn Display + Send> {
    if flag {
        return Box::new(1);
    }
    Box::new("x")
}

#[go]
async fn forever() -> u32 {
    loop {
        return 7;
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        assert_eq!(boxed(true).await.unwrap().to_string(), "1");
        assert_eq!(boxed(false).await.unwrap().to_string(), "x");
        assert_eq!(check(0).await.unwrap().unwrap_err().to_string(), "zero");
        assert_eq!(check(5).await.unwrap().unwrap(), 5);
        assert_eq!(blocking_boxed(true).await.unwrap().to_string(), "1");
        assert_eq!(forever().await.unwrap(), 7);
    });
}
