use goscope::race;

async fn f() -> u32 {
    race!()
}

fn main() {}
