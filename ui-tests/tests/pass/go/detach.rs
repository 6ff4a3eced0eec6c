#![deny(warnings)]

use std::sync::mpsc;
use std::time::Duration;

use goscope::go;

#[go(detach)]
async fn notify(tx: mpsc::Sender<u32>, value: u32) {
    tokio::time::sleep(Duration::from_millis(5)).await;
    tx.send(value).unwrap();
}

#[go(blocking, name = "mail.send", detach)]
fn send_mail(tx: mpsc::Sender<u32>, value: u32) -> () {
    tx.send(value * 10).unwrap();
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    rt.block_on(async {
        let returned: () = notify(tx.clone(), 1);
        let () = returned;
        send_mail(tx, 2);
    });
    let mut got = vec![
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
    ];
    got.sort();
    assert_eq!(got, [1, 20]);
}
