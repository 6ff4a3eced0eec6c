//! Helpers shared by goscope's benchmarks.

use std::future::Future;

use tokio::runtime::Runtime;

/// The runtime every async benchmark runs on: multi-thread, 2 workers, built outside the
/// timing.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a Tokio runtime")
}

/// Runs `body` to completion as a task on `rt`, as spawning code does in a service: only
/// the two workers are busy, not a third `block_on` thread competing for two cores.
pub fn in_runtime<F>(rt: &Runtime, body: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    rt.block_on(async {
        tokio::spawn(body)
            .await
            .expect("the benchmark body panicked")
    });
}
