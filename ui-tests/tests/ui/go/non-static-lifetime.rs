use std::fmt::Display;

use goscope::go;

#[go]
async fn render<'a>(value: impl Display + Send + 'a) -> String {
    value.to_string()
}

fn main() {}
