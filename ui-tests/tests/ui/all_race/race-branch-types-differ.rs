use goscope::race;

async fn f() -> u32 {
    race!(async { 1u32 }, async { "two" })
}

fn main() {}
