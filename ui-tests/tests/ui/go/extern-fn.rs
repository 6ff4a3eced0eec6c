use goscope::go;

#[go(blocking)]
extern "C" fn answer() -> u32 {
    42
}

fn main() {}
