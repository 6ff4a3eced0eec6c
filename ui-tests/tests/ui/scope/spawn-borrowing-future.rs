use goscope::{Error, scope};

async fn f() -> Result<usize, Error> {
    let names = vec!["a".to_owned()];
    scope!(|s| {
        let n = s.spawn(async { Ok(names.len()) });
        n.await
    })
}

fn main() {}
