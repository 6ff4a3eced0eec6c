#![deny(warnings)]
#![no_implicit_prelude]
//! Expansions use absolute paths and hygienic temporaries only.

mod core {}
mod std {}
mod goscope {}

#[::goscope::go]
async fn sum(__goscope_arg0: u32, (a, b): (u32, u32), __goscope_output: u32) -> u32 {
    __goscope_arg0 + a + b + __goscope_output
}

#[::goscope::go(blocking)]
fn product((a, b): (u32, u32), __goscope_arg0: u32) -> u32 {
    a * b * __goscope_arg0
}

fn main() {
    let rt = ::tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        ::std::assert_eq!(sum(1, (2, 3), 4).await.unwrap(), 10);
        ::std::assert_eq!(product((2, 3), 4).await.unwrap(), 24);
    });
}
