#![deny(warnings)]

use goscope::go;

#[go(blocking)]
fn checksum(data: Vec<u8>) -> u64 {
    std::thread::sleep(std::time::Duration::from_millis(1));
    data.iter().map(|&b| u64::from(b)).sum()
}

#[go(blocking)]
fn touch(mut log: Vec<String>, (a, _): (u8, String)) {
    log.push(a.to_string());
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let task = checksum(vec![1, 2, 3]);
        assert_eq!(task.name(), Some(concat!(module_path!(), "::checksum")));
        assert_eq!(task.await.unwrap(), 6);
        touch(Vec::new(), (1, String::new())).await.unwrap();
    });
}
