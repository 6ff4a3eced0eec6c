#![deny(warnings)]

use goscope::go;

struct Batch {
    items: Vec<u32>,
}

impl Batch {
    #[go]
    async fn finish(mut self, last: u32) -> Vec<u32> {
        self.items.push(last);
        self.items
    }

    #[go]
    async fn len(self) -> usize {
        self.items.len()
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let batch = Batch { items: vec![1, 2] };
        assert_eq!(batch.finish(3).await.unwrap(), [1, 2, 3]);
        assert_eq!(Batch { items: vec![7] }.len().await.unwrap(), 1);
    });
}
