#![deny(warnings)]

use std::fmt::Debug;

use goscope::go;

#[go]
async fn first<T, I>(items: I) -> Option<T>
where
    I: IntoIterator<Item = T> + Send + 'static,
    I::IntoIter: Send,
    T: Send + 'static,
{
    items.into_iter().next()
}

#[go(blocking)]
fn describe<T: Debug + Send + 'static, const N: usize>(values: [T; N]) -> String {
    format!("{values:?}")
}

/// Lifetime parameters are fine as long as the arguments own their data.
#[go]
async fn owned<'a>(text: String) -> usize {
    let view: &'a str = Box::leak(text.into_boxed_str());
    view.len()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        assert_eq!(first(vec![5, 6]).await.unwrap(), Some(5));
        assert_eq!(first(Vec::<u8>::new()).await.unwrap(), None);
        assert_eq!(describe([1, 2, 3]).await.unwrap(), "[1, 2, 3]");
        assert_eq!(owned(String::from("four")).await.unwrap(), 4);
    });
}
