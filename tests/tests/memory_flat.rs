//! The memory store's memory stays flat under churn once expired sessions are swept: rounds
//! of 10,000 new sessions (64 clients, mixed operations, through axum), then the test clock
//! jumps past the idle timeout and `MemoryStore::sweep` runs. After every sweep the store is
//! back to its baseline, and the process's resident memory stops growing after the first
//! rounds. Its own test binary, so that no other test's allocations count.

mod traffic;

use std::sync::Arc;
use std::time::Duration;

use session_core::Clock;
use session_stores::MemoryStore;
use session_tests::http_suite::{base_config, servers};
use session_tests::support::TestClock;
use traffic::client::Http;
use traffic::mixed::{self, Plan};
use traffic::{mib, rss_bytes, serve};

const ROUNDS: usize = 6;
const SESSIONS: usize = 10_000;
const IDLE: Duration = Duration::from_secs(30 * 60);
/// How much the resident memory may still grow between the second round and the last:
/// allocator noise, not a leak (a leak of the sessions alone is several MiB a round).
const GROWTH_BOUND: u64 = 4 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_stays_flat_once_expired_sessions_are_swept() {
    let clock = TestClock::new();
    let store = MemoryStore::new();
    let config = base_config().idle_timeout(IDLE).build().unwrap();
    let server = serve(
        &servers::Axum,
        config,
        store.clone(),
        Arc::new(clock.clone()),
    )
    .await;
    let http = Http::new(server.addr());
    let baseline = store.len();
    println!("before round 1: RSS {:.1} MiB", mib(rss_bytes()));
    let mut after_sweep = Vec::new();
    for round in 1..=ROUNDS {
        let plan = Plan {
            clients: 64,
            sessions: SESSIONS,
            duration: Duration::from_millis(300),
        };
        let tally = mixed::run(&http, plan).await;
        tally.assert_clean(&format!("round {round}"));
        let live = store.len();
        let peak = rss_bytes();
        assert_eq!(live, baseline + SESSIONS, "round {round}: live sessions");
        clock.advance(IDLE + Duration::from_secs(1));
        let swept = store.sweep(clock.now());
        assert_eq!(swept, SESSIONS, "round {round}: swept");
        assert_eq!(
            store.len(),
            baseline,
            "round {round}: the store is back to its baseline"
        );
        let rss = rss_bytes();
        println!("round {round}: {}", tally.summary());
        println!(
            "round {round}: {} requests, {live} live sessions, RSS {:.1} MiB with them, {:.1} MiB after sweeping {swept}",
            tally.requests,
            mib(peak),
            mib(rss)
        );
        after_sweep.push(rss);
    }
    let growth = after_sweep[ROUNDS - 1].saturating_sub(after_sweep[1]);
    println!(
        "RSS growth from round 2 to round {ROUNDS}: {:.2} MiB",
        mib(growth)
    );
    assert!(
        growth <= GROWTH_BOUND,
        "RSS grew {:.2} MiB between round 2 and round {ROUNDS}: {:?}",
        mib(growth),
        after_sweep
            .iter()
            .map(|b| format!("{:.1} MiB", mib(*b)))
            .collect::<Vec<_>>()
    );
}
