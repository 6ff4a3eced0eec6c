use std::sync::Arc;

use goscope::go;

trait Service {
    #[go]
    async fn run(self: Arc<Self>) -> u64;
}

fn main() {}
