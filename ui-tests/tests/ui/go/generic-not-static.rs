use goscope::go;

#[go]
async fn first<T: Send>(items: Vec<T>) -> Option<T> {
    items.into_iter().next()
}

fn main() {}
