use goscope::go;

#[go(detach)]
async fn send_email(to: String) -> Result<(), String> {
    if to.is_empty() {
        Err("no recipient".into())
    } else {
        Ok(())
    }
}

fn main() {}
