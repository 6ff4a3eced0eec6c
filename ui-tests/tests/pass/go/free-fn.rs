#![deny(warnings)]

use goscope::go;

/// Adds, keeping every argument alive until the task ends.
#[go]
async fn add(a: u32, mut b: u32, (c, d): (u32, u32), _: String) -> u32 {
    b += 1;
    tokio::task::yield_now().await;
    a + b + c + d
}

#[goscope::go]
async fn nothing() {}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let task = add(1, 2, (3, 4), String::from("unused"));
        assert_eq!(task.name(), Some(concat!(module_path!(), "::add")));
        assert_eq!(task.await.unwrap(), 11);
        let unit: goscope::Task<()> = nothing();
        unit.await.unwrap();
    });
}
