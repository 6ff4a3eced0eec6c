#![deny(warnings)]

use std::fmt::Display;

use goscope::go;

#[go]
async fn show(value: impl Display + Send + 'static, label: &'static str) -> String {
    format!("{label}={value}")
}

#[go]
async fn evens(max: u32) -> impl Iterator<Item = u32> + Send {
    (0..max).filter(|n| n % 2 == 0)
}

#[go(blocking)]
fn odds(max: u32) -> impl Iterator<Item = u32> + Send {
    (0..max).filter(|n| n % 2 == 1)
}

#[go]
async fn call(f: Box<dyn Fn(&str) -> usize + Send>, input: String) -> usize {
    f(&input)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        assert_eq!(show(7, "n").await.unwrap(), "n=7");
        assert_eq!(evens(7).await.unwrap().collect::<Vec<_>>(), [0, 2, 4, 6]);
        assert_eq!(odds(7).await.unwrap().collect::<Vec<_>>(), [1, 3, 5]);
        assert_eq!(
            call(Box::new(|s: &str| s.len()), "abc".into())
                .await
                .unwrap(),
            3
        );
    });
}
