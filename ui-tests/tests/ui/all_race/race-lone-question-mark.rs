use goscope::race;

async fn lookup(n: u32) -> Result<u32, String> {
    Ok(n)
}

async fn f() -> Result<u32, String> {
    race!(lookup(1), lookup(2), ?)
}

fn main() {}
