//! A child process for the stderr tests in `tasks.rs`: what a panic prints must be seen
//! from outside the process. Each mode prints its findings on stdout, one `key=value` a
//! line; stderr is left to the panic hooks.

use std::io::Write;
use std::sync::mpsc;

fn message<'a>(info: &'a std::panic::PanicHookInfo<'_>) -> &'a str {
    let payload = info.payload();
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("?")
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    match mode.as_str() {
        // A detached task panics: std's message once on stderr, the goscope hook once.
        "detached" => {
            let (tx, rx) = mpsc::channel();
            goscope::set_panic_hook(move |p| {
                tx.send(format!(
                    "{:?}|{:?}",
                    p.message(),
                    p.location().map(|l| l.line())
                ))
                .unwrap();
            });
            rt.block_on(async {
                goscope::go(async { panic!("detached-boom") }).detach();
            });
            println!("hook={}", rx.recv().unwrap());
        }
        // A user hook installed before goscope's first task keeps working, and goscope
        // still captures the location.
        "user-hook-before" => {
            std::panic::set_hook(Box::new(|info| {
                eprintln!("USER HOOK: {}", message(info));
            }));
            let err = rt.block_on(async { goscope::go(async { panic!("before-boom") }).await });
            let p = err.unwrap_err().into_panic().unwrap();
            println!("location={}", p.location().is_some());
        }
        // A user hook installed after goscope's, chaining to it, keeps locations.
        "user-hook-after-chained" => {
            rt.block_on(async { goscope::go(async {}).await }).unwrap();
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                eprintln!("USER HOOK: {}", message(info));
                previous(info);
            }));
            let err = rt.block_on(async { goscope::go(async { panic!("after-boom") }).await });
            let p = err.unwrap_err().into_panic().unwrap();
            println!("location={}", p.location().is_some());
        }
        other => panic!("unknown mode {other:?}"),
    }
    std::io::stdout().flush().unwrap();
}
