use goscope::go;

struct Counter {
    hits: u64,
}

impl Counter {
    #[go]
    async fn hit(&mut self) {
        self.hits += 1;
    }
}

fn main() {}
