fn main() {
    let _g: goscope::Generator<u32> = goscope::iter! {
        yield;
    };
}
