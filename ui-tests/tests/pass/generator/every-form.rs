//! Every form of `#[generator]`, `iter!` and `stream!` compiles without warnings, and
//! `use goscope::yield_;` is a used import.
#![deny(warnings)]

use futures_util::StreamExt;
use goscope::{AsyncGenerator, Generator, generator, yield_, yield_from};

#[generator]
fn plain(n: u32) -> Generator<u32> {
    for i in 0..n {
        yield_!(i);
    }
}

#[generator]
fn by_path(n: u32) -> goscope::Generator<u32> {
    goscope::yield_!(n);
}

#[generator]
fn borrowing<'a>(a: &'a str, b: &'a str) -> Generator<'a, &'a str> {
    yield_!(a);
    yield_!(b);
}

#[generator]
pub(crate) fn fallible(s: &'static str) -> Generator<Result<u32, std::num::ParseIntError>> {
    yield_!(Ok(s.parse()?));
}

#[generator]
async fn streaming(n: u32) -> AsyncGenerator<u32> {
    for i in 0..n {
        std::future::ready(()).await;
        yield_!(i);
    }
    yield_from!(futures_util::stream::iter([9, 9]));
}

fn main() {
    assert_eq!(plain(2).chain(by_path(5)).collect::<Vec<_>>(), [0, 1, 5]);
    assert_eq!(borrowing("a", "b").count(), 2);
    assert!(fallible("x").next().unwrap().is_err());
    let block = goscope::iter! { yield 1u32; yield_from!(plain(1)); };
    let _ = block;
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let got: Vec<u32> = rt.block_on(streaming(2).collect());
    assert_eq!(got, [0, 1, 9, 9]);
    let s = goscope::stream! { yield "x"; };
    let _ = s;
}
