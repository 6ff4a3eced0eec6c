use goscope::all;

async fn lookup(n: u32) -> Result<u32, String> {
    Ok(n)
}

async fn f() -> u32 {
    let (a, b) = all!(lookup(1)?, lookup(2)?);
    a + b
}

fn main() {}
