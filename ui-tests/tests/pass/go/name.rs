#![deny(warnings)]

use goscope::go;

#[go(name = "billing.charge")]
async fn charge(cents: u64) -> u64 {
    cents + 1
}

#[go(blocking, name = "billing.audit")]
fn audit(cents: u64) -> bool {
    cents > 0
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let task = charge(99);
        assert_eq!(task.name(), Some("billing.charge"));
        assert_eq!(task.await.unwrap(), 100);
        let task = audit(1);
        assert_eq!(task.name(), Some("billing.audit"));
        assert!(task.await.unwrap());
    });
}
