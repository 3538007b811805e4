//! Sustained mixed load through the adapters, with the memory store and with the Redis store
//! (an own `redis-server` on a spare port): 64 clients own 10,000 sessions between them and
//! read (60 %), write (25 %), regenerate (10 %) and destroy-then-log-in-again (5 %) for
//! `LOAD_SECS` seconds (default 10) on axum; the other adapters run a quarter of the sessions
//! for a quarter of the time. Every answer must be right: no 5xx, and no session ever shows
//! data its client did not write last. At the end the store holds exactly the live sessions.
//!
//! For the figures, run it alone: `LOAD_SECS=60 cargo test --release -p session-tests --test
//! load -- --nocapture --test-threads=1`.

mod fault_kit;
mod traffic;

use std::time::Duration;

use fault_kit::redis::{command, Resp};
use session_core::Store;
use session_stores::{MemoryStore, RedisStore};
use session_tests::http_suite::AdapterHarness;
use session_tests::store_suite::{or_skip, RedisServer};
use traffic::client::Http;
use traffic::mixed::{self, Plan, Tally};
use traffic::{adapters, config, load_duration, serve, system_clock};

const CLIENTS: usize = 64;
const SESSIONS: usize = 10_000;

/// The full run on axum; a quarter of the sessions and of the time on the other adapters,
/// which share the same layer-to-core path and are here to catch adapter-specific mix-ups.
fn plan(harness: &dyn AdapterHarness) -> Plan {
    let full = load_duration(10);
    if harness.name() == "axum" {
        return Plan {
            clients: CLIENTS,
            sessions: SESSIONS,
            duration: full,
        };
    }
    Plan {
        clients: CLIENTS,
        sessions: SESSIONS / 4,
        duration: (full / 4).max(Duration::from_secs(1)),
    }
}

async fn run(store_name: &str, harness: &dyn AdapterHarness, store: impl Store) -> Tally {
    let server = serve(harness, config(), store, system_clock()).await;
    let tally = mixed::run(&Http::new(server.addr()), plan(harness)).await;
    println!(
        "{store_name} store via {}: {}",
        harness.name(),
        tally.summary()
    );
    tally.assert_clean(&format!("{store_name} store via {}", harness.name()));
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_under_mixed_load_on_every_adapter() {
    for harness in adapters() {
        let store = MemoryStore::new();
        run("memory", harness, store.clone()).await;
        // Destroyed and regenerated sessions left nothing behind.
        let sessions = plan(harness).sessions;
        assert_eq!(store.len(), sessions, "memory store via {}", harness.name());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_under_mixed_load_on_every_adapter() {
    let Some(server) = or_skip("redis-server", RedisServer::start().await) else {
        return;
    };
    for harness in adapters() {
        let prefix = format!("load-{}:", harness.name());
        let store = RedisStore::builder([server.url()])
            .prefix(prefix.as_str())
            .timeout(Duration::from_secs(2))
            .connect()
            .await
            .unwrap();
        run("redis", harness, store).await;
        let addr = ([127, 0, 0, 1], server.port()).into();
        let pattern = format!("{prefix}*");
        let Resp::Array(keys) = command(addr, &[b"KEYS", pattern.as_bytes()]).await.unwrap() else {
            panic!("KEYS did not answer an array");
        };
        assert_eq!(
            keys.len(),
            plan(harness).sessions,
            "redis keys after the run via {}",
            harness.name()
        );
    }
}
