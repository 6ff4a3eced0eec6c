use goscope::go;

#[go]
async fn join(words: Vec<&str>) -> String {
    words.join(" ")
}

fn main() {}
