use goscope::race;

async fn f() -> Result<u32, String> {
    race!(ok: async { Ok(1) }, async { 2u32 })
}

fn main() {}
