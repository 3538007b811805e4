//! The `sessions_live` gauge: how many sessions a store holds, counted on a timer.

use session_core::Clock;

use crate::Inventory;

/// Sets the gauge `sessions_live{backend}` (through the `metrics` facade) to `store`'s
/// [`Inventory::count`] every `interval`, on a tokio task, taking the time from `clock`. A
/// failed count is logged (`tracing`, warn) and the gauge keeps its last value. The task runs
/// until the handle is aborted or the runtime stops.
///
/// What a count costs is the store's (see [`Inventory`]): one `COUNT(*)` on the expiry index
/// for the SQL stores, a pass over the sessions for [`crate::MemoryStore`], and a whole `SCAN`
/// of the keyspace for Redis, exact but a walk: give Redis a long interval (minutes).
///
/// ```no_run
/// # #[cfg(feature = "memory")]
/// # async fn run() {
/// use std::time::Duration;
/// let store = session_stores::MemoryStore::new();
/// let task = session_stores::spawn_live_gauge(store.clone(), Duration::from_secs(60), session_core::SystemClock);
/// # }
/// ```
pub fn spawn_live_gauge<S: Inventory>(
    store: S,
    interval: std::time::Duration,
    clock: impl Clock,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let gauge = metrics::gauge!("sessions_live", "backend" => store.backend_name());
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match store.count(clock.now()).await {
                // A gauge is a float; counts this large are beyond any store.
                #[allow(clippy::cast_precision_loss)]
                Ok(live) => gauge.set(live as f64),
                Err(err) => tracing::warn!(error = %err, "counting live sessions failed"),
            }
        }
    })
}
