//! The task manager's failures in tracing (SPEC: "A failure is reported as a tracing
//! event (service, phase, cause) as well as in `run()`'s `Err`"): one `ERROR` event per
//! failure, target `goscope::manager`, fields `service`, `phase` and `cause`. Its own
//! test binary, every test recording from its start: tracing caches callsite interest
//! process-wide.

use std::borrow::Cow;

use goscope::CancellationToken;
use goscope::manager::{BoxError, Manager, ManagerError, Service};
use goscope_tests::trace::{SeenEvent, recorded};
use tracing::Level;

/// Runs `manager` on a current-thread runtime under a recorder; its result and the
/// events of target `goscope::manager`.
fn run_recorded(manager: Manager) -> (Result<(), ManagerError>, Vec<SeenEvent>) {
    let (result, seen) = recorded(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(manager.run())
    });
    let events = seen.events();
    let manager_events = events
        .into_iter()
        .filter(|e| e.target == "goscope::manager");
    (result, manager_events.collect())
}

/// The one failure of `error`, checked to be the one `event` of `events`, at `ERROR`,
/// with the failure's service, phase and cause.
fn the_one_event_is_the_failure(error: &ManagerError, events: &[SeenEvent]) {
    let failures: Vec<_> = error.failures().collect();
    assert_eq!(failures.len(), 1, "{error}");
    assert_eq!(events.len(), 1, "one event per failure: {events:?}");
    let (failure, event) = (failures[0], &events[0]);
    assert_eq!(event.level, Level::ERROR);
    assert_eq!(event.field("service"), Some(failure.service.as_str()));
    assert_eq!(event.field("phase"), Some(&*failure.phase.to_string()));
    assert_eq!(event.field("cause"), Some(&*failure.cause.to_string()));
}

#[test]
fn an_execute_error_is_an_error_event_with_its_service_phase_and_cause() {
    let mut manager = Manager::new();
    manager.add_execute("traced.flaky", |_ctx| async {
        Err("lost the connection".into())
    });
    let (result, events) = run_recorded(manager);
    let error = result.unwrap_err();
    the_one_event_is_the_failure(&error, &events);
    assert_eq!(events[0].field("service"), Some("traced.flaky"));
    assert_eq!(events[0].field("phase"), Some("execute"));
    assert_eq!(events[0].field("cause"), Some("lost the connection"));
}

/// A service whose initialise panics.
struct Unconfigured;

impl Service for Unconfigured {
    fn name(&self) -> Cow<'static, str> {
        "traced.unconfigured".into()
    }

    async fn initialize(&mut self) -> Result<(), BoxError> {
        panic!("no config file")
    }

    async fn execute(&self, _ctx: CancellationToken) -> Result<(), BoxError> {
        unreachable!("never executed: its initialise panicked")
    }
}

#[test]
fn an_initialise_panic_is_an_error_event_with_its_service_phase_and_cause() {
    let mut manager = Manager::new();
    manager.add(Unconfigured);
    let (result, events) = run_recorded(manager);
    let error = result.unwrap_err();
    the_one_event_is_the_failure(&error, &events);
    assert_eq!(events[0].field("service"), Some("traced.unconfigured"));
    assert_eq!(events[0].field("phase"), Some("initialize"));
    let cause = events[0].field("cause").unwrap();
    assert!(cause.contains("no config file"), "{cause}");
    assert!(error.first.unwrap().cause.panic().is_some());
}
