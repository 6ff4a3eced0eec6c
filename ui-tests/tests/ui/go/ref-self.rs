use goscope::go;

struct Service {
    base: u64,
}

impl Service {
    #[go]
    async fn score(&self, user: u64) -> u64 {
        self.base + user
    }
}

fn main() {}
