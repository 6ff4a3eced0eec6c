use std::pin::Pin;

use goscope::go;

struct Counter {
    hits: u64,
}

impl Counter {
    #[go]
    async fn hit(self: Pin<&mut Self>) -> u64 {
        self.hits
    }
}

fn main() {}
