use goscope::select;

async fn f() {
    select! {}
}

fn main() {}
