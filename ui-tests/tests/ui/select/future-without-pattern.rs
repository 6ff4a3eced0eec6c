use goscope::select;

async fn f() {
    select! {
        async { 1 } => (),
    }
}

fn main() {}
