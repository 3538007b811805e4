//! Deleting expired rows: on demand, or on a timer.
//!
//! `load` never returns an expired row, so the cleanup only reclaims space. Run
//! [`Cleanup::delete_expired`] from your own scheduler (any runtime), or, with the `tokio`
//! feature, let [`spawn_cleanup`] run it every interval.

use std::future::Future;

use session_core::StoreError;
use time::OffsetDateTime;

/// A store whose expired rows can be deleted in bounded batches.
///
/// ```no_run
/// # #[cfg(feature = "sqlite")]
/// # async fn run(store: session_stores::SqliteStore, now: time::OffsetDateTime) -> Result<(), session_core::StoreError> {
/// use session_stores::sql::cleanup::Cleanup;
/// let removed = Cleanup::delete_expired(&store, now).await?;
/// # Ok(()) }
/// ```
pub trait Cleanup: Send + Sync + 'static {
    /// Deletes every row expired at `now`; returns how many.
    fn delete_expired(
        &self,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// Runs `store`'s cleanup every `interval` on a tokio task, taking the time from `clock`.
/// A failed run is logged (`tracing`, warn) and retried at the next tick. The task runs
/// until the handle is aborted or the runtime stops.
///
/// ```no_run
/// # #[cfg(feature = "sqlite")]
/// # async fn run(store: session_stores::SqliteStore) {
/// use std::time::Duration;
/// let clock = session_core::SystemClock;
/// let task = session_stores::sql::cleanup::spawn_cleanup(store, Duration::from_secs(300), clock);
/// # }
/// ```
#[cfg(feature = "tokio")]
pub fn spawn_cleanup<S: Cleanup>(
    store: S,
    interval: std::time::Duration,
    clock: impl session_core::Clock,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(err) = store.delete_expired(clock.now()).await {
                tracing::warn!(error = %err, "session cleanup failed; retrying next interval");
            }
        }
    })
}
