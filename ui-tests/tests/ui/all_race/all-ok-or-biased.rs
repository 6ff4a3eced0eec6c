use goscope::all;

async fn f() {
    let _ = all!(ok: async { Ok::<u32, ()>(1) });
    let _ = all!(biased; async { 1 });
}

fn main() {}
