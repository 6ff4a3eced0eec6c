//! Macro hygiene: expansions use only absolute paths, so local modules named `core`,
//! `std` and `tokio` cannot capture them, and they compile without warnings.
#![deny(warnings)]

#[allow(dead_code)]
mod core {}
#[allow(dead_code)]
mod std {}
#[allow(dead_code)]
mod tokio {}
#[allow(dead_code)]
mod goscope {}

#[allow(dead_code)]
struct Result;
#[allow(dead_code)]
struct Option;
#[allow(dead_code)]
struct Task;

#[::goscope::go]
async fn hygienic_async(x: u64, (a, b): (u64, u64)) -> u64 {
    x + a + b
}

#[::goscope::go(blocking, name = "hygiene.blocking")]
fn hygienic_blocking(mut v: ::std::vec::Vec<u64>) -> u64 {
    v.push(1);
    v.iter().sum()
}

#[::goscope::go(detach)]
async fn hygienic_detached(tx: ::tokio::sync::oneshot::Sender<u64>) {
    let _ = tx.send(9);
}

struct Service {
    base: u64,
}

impl Service {
    #[::goscope::go]
    async fn method(self: ::std::sync::Arc<Self>, x: u64) -> u64 {
        self.base + x
    }
}

#[test]
fn macros_expand_hygienically() {
    let rt = ::tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        ::core::assert_eq!(hygienic_async(1, (2, 3)).await.unwrap(), 6);
        ::core::assert_eq!(hygienic_blocking(::std::vec![1, 2]).await.unwrap(), 4);
        let (tx, rx) = ::tokio::sync::oneshot::channel();
        hygienic_detached(tx);
        ::core::assert_eq!(rx.await.unwrap(), 9);
        let svc = ::std::sync::Arc::new(Service { base: 40 });
        ::core::assert_eq!(svc.method(2).await.unwrap(), 42);
    });
}

async fn hygienic_select(
    rx: &::goscope::chan::Receiver<u64>,
    tx: &::goscope::chan::Sender<u64>,
) -> u64 {
    // Names the expansion uses internally, declared by the user: no clash.
    let __goscope_out = 1u64;
    let __goscope_c0 = 2u64;
    let mut total = __goscope_out + __goscope_c0;
    ::goscope::select! {
        biased;
        Some(v) = recv(rx) => total += v,
        r = send(tx, 5), if total > 100 => r.unwrap(),
        _ = after(::std::time::Duration::from_secs(1)) => {}
    }
    let ready = ::goscope::select! {
        v = recv(rx) => v,
        default => None,
    };
    total + ready.unwrap_or(0)
}

#[test]
fn select_expands_hygienically() {
    let rt = ::tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, rx) = ::goscope::chan::bounded::<u64>(2);
        tx.send(10).await.unwrap();
        ::core::assert_eq!(hygienic_select(&rx, &tx).await, 13);
        let (qtx, quit) = ::goscope::chan::bounded::<()>(1);
        qtx.send(()).await.unwrap();
        let got = ::std::thread::spawn(move || {
            ::goscope::select_blocking! {
                _ = recv(quit) => 7u8,
            }
        });
        ::core::assert_eq!(got.join().unwrap(), 7);
    });
}

#[test]
fn scope_expands_hygienically() {
    let rt = ::tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let data = [1u64, 2, 3];
        let out: ::core::result::Result<u64, ::goscope::Error> = ::goscope::scope!(
            timeout = ::std::time::Duration::from_secs(5),
            limit = 2,
            |s| {
                let sum =
                    s.spawn_local(async { ::core::result::Result::Ok(data.iter().sum::<u64>()) });
                let ten = s.spawn(async { ::core::result::Result::Ok(10u64) });
                ::core::result::Result::Ok(sum.await? + ten.await?)
            }
        );
        ::core::assert_eq!(out.unwrap(), 16);
    });
}

async fn hygienic_all_race() -> ::core::result::Result<u64, ::std::string::String> {
    // Locals named like the expansion's own: mixed-site hygiene keeps them apart.
    let __branch0 = 1u64;
    let __cx = 2u64;
    let __value = 3u64;
    let (a, b) = ::goscope::all!(
        async { ::core::result::Result::<u64, ::std::string::String>::Ok(__branch0) }?,
        async { __cx }
    );
    let (c,) = ::goscope::all!(async { __value });
    let d = ::goscope::race!(async { 4u64 }, async { 4u64 });
    let e = ::goscope::race!(biased; ok: timeout = ::std::time::Duration::from_secs(5),
        async { ::core::result::Result::<u64, ()>::Ok(5) },
    )
    .unwrap()
    .unwrap();
    ::core::result::Result::Ok(a + b + c + d + e)
}

#[test]
fn all_and_race_expand_hygienically() {
    let rt = ::tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    ::core::assert_eq!(
        rt.block_on(hygienic_all_race()),
        ::core::result::Result::Ok(15)
    );
}
