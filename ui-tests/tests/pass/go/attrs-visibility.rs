#![deny(warnings, missing_docs)]
//! `#[go]` keeps visibility, docs and attributes.

mod inner {
    use goscope::go;

    /// Documented, crate-visible, with an `allow` that must still apply.
    #[go]
    #[allow(clippy::needless_return, unreachable_code)]
    pub(crate) async fn answer() -> u32 {
        return 42;
        #[allow(unreachable_code)]
        0
    }

    /// Inner attributes of the body become attributes of the wrapper.
    #[go(blocking)]
    pub fn unused_ok(#[allow(unused_variables)] ignored: u32) -> u8 {
        #![allow(unused_mut)]
        let mut x = 1;
        x
    }

    /// `#[track_caller]` written by the user is not duplicated.
    #[go]
    #[track_caller]
    pub async fn traced() -> bool {
        true
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        assert_eq!(inner::answer().await.unwrap(), 42);
        assert_eq!(inner::unused_ok(1).await.unwrap(), 1);
        assert!(inner::traced().await.unwrap());
    });
}
