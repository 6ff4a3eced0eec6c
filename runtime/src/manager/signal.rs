//! `Manager::shutdown_on_signals`: Ctrl-C, and SIGTERM on unix.

use tokio_util::sync::CancellationToken;

/// Cancels `shutdown` (the manager's shutdown token) on the first Ctrl-C (or SIGTERM,
/// on unix), then waits forever (the manager's phases end first).
pub(super) async fn shutdown_on_signal(shutdown: CancellationToken) {
    let which = signal().await;
    tracing::info!(target: "goscope::manager", signal = which, "shutting down");
    shutdown.cancel();
    std::future::pending::<()>().await;
}

/// Waits for the first shutdown signal; returns its name.
async fn signal() -> &'static str {
    let ctrl_c = async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "SIGINT",
            Err(error) => {
                tracing::warn!(target: "goscope::manager", %error, "cannot listen for Ctrl-C");
                std::future::pending().await
            }
        }
    };
    #[cfg(unix)]
    {
        use std::pin::pin;
        use tokio::signal::unix::{SignalKind, signal};

        let terminate = async {
            match signal(SignalKind::terminate()) {
                Ok(mut term) => match term.recv().await {
                    Some(()) => "SIGTERM",
                    // The runtime's signal driver is gone: no SIGTERM will come.
                    None => std::future::pending().await,
                },
                Err(error) => {
                    tracing::warn!(target: "goscope::manager", %error, "cannot listen for SIGTERM");
                    std::future::pending().await
                }
            }
        };
        futures_util::future::select(pin!(ctrl_c), pin!(terminate))
            .await
            .factor_first()
            .0
    }
    #[cfg(not(unix))]
    {
        ctrl_c.await
    }
}
