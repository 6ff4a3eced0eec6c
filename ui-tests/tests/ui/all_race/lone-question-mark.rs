use goscope::all;

async fn lookup(n: u32) -> Result<u32, String> {
    Ok(n)
}

async fn f() -> Result<(u32, u32), String> {
    Ok(all!(lookup(1), lookup(2), ?))
}

fn main() {}
