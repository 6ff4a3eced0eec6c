use goscope::go;

#[go(blocking)]
unsafe fn sum(first: u32, _: ...) -> u32 {
    first
}

fn main() {}
