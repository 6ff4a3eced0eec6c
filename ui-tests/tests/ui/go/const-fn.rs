use goscope::go;

#[go(blocking)]
const fn answer() -> u32 {
    42
}

fn main() {}
