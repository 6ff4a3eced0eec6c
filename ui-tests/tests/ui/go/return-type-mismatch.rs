use goscope::go;

#[go]
async fn count(names: Vec<String>) -> u32 {
    names.len()
}

fn main() {}
