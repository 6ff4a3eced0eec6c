//! Helpers shared by goscope's benchmarks.

use std::future::Future;
use std::time::Duration;

use criterion::Criterion;
use tokio::runtime::Runtime;

/// Criterion's settings for benches whose iterations take milliseconds (channels,
/// select): 20 samples, 1 s of warm-up, 4 s of measurement per function.
pub fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

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
