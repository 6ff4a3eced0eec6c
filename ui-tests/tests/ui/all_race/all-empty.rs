use goscope::all;

async fn f() {
    let () = all!();
}

fn main() {}
