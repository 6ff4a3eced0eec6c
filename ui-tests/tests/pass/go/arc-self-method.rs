#![deny(warnings)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use goscope::go;

struct Service {
    base: u64,
    calls: AtomicU64,
}

impl Service {
    #[go]
    async fn score(self: Arc<Self>, user: u64) -> u64 {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.base + user
    }

    #[go]
    async fn base(self: Arc<Self>) -> u64 {
        // Only a field is used: the whole `Arc` is still moved into the task.
        self.base
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let svc = Arc::new(Service {
            base: 40,
            calls: AtomicU64::new(0),
        });
        let a = svc.clone().score(2);
        let b = svc.clone().score(3);
        assert_eq!(a.await.unwrap() + b.await.unwrap(), 85);
        assert_eq!(svc.calls.load(Ordering::SeqCst), 2);
        assert_eq!(svc.clone().base().await.unwrap(), 40);
        assert_eq!(Arc::strong_count(&svc), 1);
    });
}
