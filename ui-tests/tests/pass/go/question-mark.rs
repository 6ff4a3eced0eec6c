#![deny(warnings)]

use std::num::ParseIntError;

use goscope::go;

#[go]
async fn double(text: String) -> Result<u32, ParseIntError> {
    let n: u32 = text.trim().parse()?;
    Ok(n * 2)
}

#[go(blocking)]
fn triple(text: String) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    let n: u32 = text.trim().parse()?;
    if n == 0 {
        return Err("zero".into());
    }
    Ok(n * 3)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        assert_eq!(double(" 21 ".into()).await.unwrap(), Ok(42));
        assert!(double("x".into()).await.unwrap().is_err());
        assert_eq!(triple("2".into()).await.unwrap().unwrap(), 6);
        assert_eq!(
            triple("0".into()).await.unwrap().unwrap_err().to_string(),
            "zero"
        );
    });
}
