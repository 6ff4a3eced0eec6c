#![deny(warnings)]

use goscope::go;

#[derive(Debug, PartialEq)]
struct Counter {
    start: u32,
}

impl Counter {
    #[go]
    async fn load(start: u32) -> Self {
        Counter { start }
    }

    #[go(blocking)]
    fn load_blocking(start: u32) -> Counter {
        Self { start }
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        assert_eq!(Counter::load(3).await.unwrap(), Counter { start: 3 });
        assert_eq!(
            Counter::load_blocking(4).await.unwrap(),
            Counter { start: 4 }
        );
    });
}
