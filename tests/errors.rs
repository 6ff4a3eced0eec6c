//! Errors go anywhere: every error type of the crate is `Send + Sync + 'static` and a
//! `std::error::Error`, so `?` turns it into `anyhow::Error`, `eyre::Report` and
//! `Box<dyn Error + Send + Sync>`, with its `source()` chain and its panic payload kept.

use std::error::Error as StdError;
use std::time::Duration;

use goscope::TrySubmitError;
use goscope::chan::{SendError, TryRecvError, TrySendError};
use goscope::manager::{AddError, BoxError, Cause, Failure, Manager, ManagerError, Phase};
use goscope::{Error, PanicError, PanicPayload};

type DynError = Box<dyn StdError + Send + Sync + 'static>;

// ===== every public error type is Send + Sync + 'static =====

const fn assert_error<E: StdError + Send + Sync + 'static>() {}
const fn assert_send_sync<T: Send + Sync + 'static>() {}

const _: () = {
    assert_error::<Error>();
    assert_error::<PanicError>();
    assert_error::<ManagerError>();
    assert_error::<Failure>();
    assert_error::<AddError>();
    assert_error::<SendError<String>>();
    assert_error::<TrySendError<String>>();
    assert_error::<TryRecvError>();
    assert_error::<TrySubmitError<()>>();
    assert_send_sync::<PanicPayload>();
    assert_send_sync::<Cause>();
    assert_send_sync::<Phase>();
};

// ===== errors to convert =====

async fn panicked(message: &'static str) -> Error {
    goscope::go(async move { panic!("{message}") })
        .await
        .unwrap_err()
}

async fn manager_error() -> ManagerError {
    let mut manager = Manager::new();
    manager.add_execute("worker", |_ctx| async {
        Err::<(), BoxError>("disk full".into())
    });
    manager.run().await.unwrap_err()
}

async fn add_error() -> AddError {
    let manager = Manager::new();
    let handle = manager.handle();
    manager.run().await.unwrap();
    handle
        .add_execute("late", |_ctx| async { Ok(()) })
        .unwrap_err()
}

/// A failed send, a full `try_send` and an empty `try_recv`, from real channels.
fn channel_errors() -> (SendError<u8>, TrySendError<u8>, TryRecvError) {
    let (tx, rx) = goscope::chan::bounded::<u8>(1);
    tx.try_send(1).unwrap();
    let full = tx.try_send(2).unwrap_err();
    rx.close();
    let closed = tx.send_blocking(3).unwrap_err();
    let (_tx, rx) = goscope::chan::bounded::<u8>(1);
    (closed, full, rx.try_recv().unwrap_err())
}

/// `?` from each error into one of the three targets, returning their texts.
fn through_question_mark<E>([a, b, c]: [E; 3]) -> [String; 3]
where
    E: StdError + Send + Sync + 'static,
{
    fn into_anyhow<E: StdError + Send + Sync + 'static>(e: E) -> anyhow::Result<()> {
        Err(e)?
    }
    fn into_eyre<E: StdError + Send + Sync + 'static>(e: E) -> eyre::Result<()> {
        Err(e)?
    }
    fn into_box<E: StdError + Send + Sync + 'static>(e: E) -> Result<(), DynError> {
        Err(e)?
    }
    [
        into_anyhow(a).unwrap_err().to_string(),
        into_eyre(b).unwrap_err().to_string(),
        into_box(c).unwrap_err().to_string(),
    ]
}

// ===== `?` into anyhow, eyre and Box<dyn Error + Send + Sync> =====

#[tokio::test]
async fn goscope_error_converts_with_question_mark() {
    let cancelled = through_question_mark([Error::Cancelled, Error::Cancelled, Error::Cancelled]);
    assert_eq!(cancelled, ["the task was cancelled"; 3]);
    let two = Duration::from_secs(2);
    let timed_out = through_question_mark([
        Error::TimedOut(two),
        Error::TimedOut(two),
        Error::TimedOut(two),
    ]);
    assert_eq!(timed_out, ["timed out after 2s"; 3]);
    let panics = through_question_mark([
        panicked("a").await,
        panicked("b").await,
        panicked("c").await,
    ]);
    for (text, message) in panics.iter().zip(["a", "b", "c"]) {
        assert!(
            text.starts_with("a task panicked at ") && text.ends_with(&format!(": {message}")),
            "{text}"
        );
    }

    async fn fails() -> anyhow::Result<u32> {
        let n = goscope::go(async { panic!("disk full") }).await?;
        Ok(n)
    }
    let err = fails().await.unwrap_err();
    match err.downcast_ref::<Error>() {
        Some(Error::Panicked(p)) => assert_eq!(p.message(), Some("disk full")),
        other => panic!("expected the goscope::Error itself, got {other:?}"),
    }
    assert!(err.to_string().ends_with(": disk full"), "{err}");
}

#[tokio::test]
async fn a_panic_keeps_its_payload_through_anyhow_and_eyre() {
    let report: anyhow::Error = panicked("lost?").await.into();
    let error: Error = report.downcast().expect("downcast back to goscope::Error");
    let payload = error.into_panic().unwrap().into_panic();
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("lost?")
    );

    let report: eyre::Report = panicked("kept").await.into();
    let panic = report.downcast::<Error>().unwrap().into_panic().unwrap();
    assert_eq!(panic.message(), Some("kept"));
    let payload = std::panic::AssertUnwindSafe(panic.into_panic());
    let rethrown = std::panic::catch_unwind(move || std::panic::resume_unwind({ payload }.0));
    assert_eq!(
        rethrown
            .unwrap_err()
            .downcast_ref::<String>()
            .map(String::as_str),
        Some("kept")
    );
}

#[tokio::test]
async fn panic_error_converts_with_question_mark() {
    let plain = || PanicError::from_panic(Box::new("plain"));
    let texts = through_question_mark([plain(), plain(), plain()]);
    assert_eq!(texts, ["a task panicked: plain"; 3]);

    let boxed: DynError = panicked("boxed").await.into_panic().unwrap().into();
    let panic = boxed.downcast::<PanicError>().unwrap();
    assert_eq!(panic.message(), Some("boxed"));
}

#[tokio::test]
async fn manager_errors_convert_with_their_source_chain() {
    let error = manager_error().await;
    assert_eq!(
        error.to_string(),
        "execute of service `worker` failed: disk full"
    );

    async fn run() -> anyhow::Result<()> {
        Err(manager_error().await)?;
        Ok(())
    }
    let report = run().await.unwrap_err();
    let chain: Vec<String> = report.chain().map(ToString::to_string).collect();
    assert_eq!(
        chain,
        [
            "execute of service `worker` failed: disk full",
            "execute of service `worker` failed: disk full",
            "disk full",
        ]
    );
    let failure = report
        .downcast_ref::<ManagerError>()
        .unwrap()
        .first
        .as_ref()
        .unwrap();
    assert_eq!(
        (failure.service.as_str(), failure.phase),
        ("worker", Phase::Execute)
    );

    let report: eyre::Report = manager_error().await.into();
    assert_eq!(report.chain().count(), 3);
    let boxed: DynError = manager_error().await.into();
    assert_eq!(
        boxed.source().unwrap().source().unwrap().to_string(),
        "disk full"
    );

    let late = through_question_mark([add_error().await, add_error().await, add_error().await]);
    assert_eq!(
        late,
        ["cannot add `late`: the manager is shutting down or has finished"; 3]
    );
}

#[tokio::test]
async fn a_manager_panic_is_in_the_chain_as_a_panic_error() {
    let mut manager = Manager::new();
    manager.add_execute("crasher", |_ctx| async {
        panic!("bad state");
        #[allow(unreachable_code)]
        Ok(())
    });
    let report: anyhow::Error = manager.run().await.unwrap_err().into();
    let panic = report
        .chain()
        .find_map(|e| e.downcast_ref::<PanicError>())
        .expect("the PanicError in the chain");
    assert_eq!(panic.message(), Some("bad state"));
    assert_eq!(panic.task_name(), Some("crasher"));
}

#[test]
fn channel_errors_convert_with_question_mark() {
    let texts = [
        through_question_mark([channel_errors().0, channel_errors().0, channel_errors().0]),
        through_question_mark([channel_errors().1, channel_errors().1, channel_errors().1]),
        through_question_mark([channel_errors().2, channel_errors().2, channel_errors().2]),
    ];
    let (closed, full, empty) = channel_errors();
    assert_eq!(closed.0, 3, "the value comes back");
    assert!(matches!(full, TrySendError::Full(2)));
    assert_eq!(empty, TryRecvError::Empty);
    for (texts, error) in
        texts
            .iter()
            .zip([closed.to_string(), full.to_string(), empty.to_string()])
    {
        assert_eq!(texts, &[error.clone(), error.clone(), error]);
    }
}

// ===== scope! with E = anyhow::Error =====

#[tokio::test]
async fn a_scope_with_anyhow_errors_reports_a_childs_panic_as_goscope_error() {
    let out: anyhow::Result<u32> = goscope::scope!(|s| {
        let ok = s.spawn(async { Ok(1_u32) });
        let _crash = s.spawn(async {
            tokio::task::yield_now().await;
            panic!("child exploded");
            #[allow(unreachable_code)]
            Ok(())
        });
        let one = ok.await?;
        std::future::pending::<()>().await;
        Ok(one)
    });
    let report = out.unwrap_err();
    match report.downcast_ref::<Error>() {
        Some(Error::Panicked(p)) => assert_eq!(p.message(), Some("child exploded")),
        other => panic!("expected the child's panic, got {other:?} ({report})"),
    }
}

#[tokio::test]
async fn a_scope_with_anyhow_errors_keeps_a_childs_own_error() {
    #[derive(Debug, PartialEq)]
    struct Refused;
    impl std::fmt::Display for Refused {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("refused")
        }
    }
    impl StdError for Refused {}

    let out: anyhow::Result<()> = goscope::scope!(|s| {
        s.spawn(async { Err::<(), _>(anyhow::Error::new(Refused).context("calling the api")) });
        std::future::pending::<()>().await;
        Ok(())
    });
    let report = out.unwrap_err();
    assert_eq!(report.to_string(), "calling the api");
    assert_eq!(
        report.root_cause().downcast_ref::<Refused>(),
        Some(&Refused)
    );
}
