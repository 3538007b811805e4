//! Shared by the traffic tests (faults, load, memory): an HTTP client that keeps cookies by
//! hand, the adapters under test, and the clocks and process figures those tests read.
#![allow(dead_code)] // Each test binary uses a different part.

pub mod client;
pub mod mixed;

use std::sync::Arc;
use std::time::{Duration, Instant};

use session_core::{Clock, Config, SessionManager, Store};
use session_tests::http_suite::{base_config, servers, AdapterHarness, ServerHandle};
use time::OffsetDateTime;

/// Every adapter of the project, axum first.
pub fn adapters() -> [&'static dyn AdapterHarness; 6] {
    [
        &servers::Axum,
        &servers::Actix,
        &servers::Rocket,
        &servers::Warp,
        &servers::Poem,
        &servers::Salvo,
    ]
}

/// The suite's configuration (test secret, cookies allowed over plain HTTP).
pub fn config() -> Config {
    base_config().build().unwrap()
}

/// Starts `harness` over `store` with `config`, reading time from `clock`.
pub async fn serve(
    harness: &dyn AdapterHarness,
    config: Config,
    store: impl Store,
    clock: Arc<dyn Clock>,
) -> ServerHandle {
    harness
        .spawn(SessionManager::new(config, store), clock)
        .await
        .unwrap_or_else(|e| panic!("{} did not start: {e}", harness.name()))
}

/// The real time: Redis and PostgreSQL records must expire near it, since Redis drops keys
/// by its own clock.
pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(wall_now)
}

// The one place these tests read the system clock (see `system_clock`).
#[allow(clippy::disallowed_methods)]
fn wall_now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A monotonic instant, to measure latencies and run for a set time.
#[allow(clippy::disallowed_methods)] // Measuring the servers is what these tests do.
pub fn instant() -> Instant {
    Instant::now()
}

/// The duration of a load run: `LOAD_SECS` seconds (default `default_secs`).
pub fn load_duration(default_secs: u64) -> Duration {
    let secs = std::env::var("LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_secs);
    Duration::from_secs(secs)
}

/// This process's resident set size in bytes, from `VmRSS` in `/proc/self/status` (Linux;
/// 0 elsewhere).
pub fn rss_bytes() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}

/// Mebibytes, for reports.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
