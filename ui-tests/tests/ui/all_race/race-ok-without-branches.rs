use goscope::race;

async fn f() -> Result<u32, String> {
    race!(ok:)
}

fn main() {}
