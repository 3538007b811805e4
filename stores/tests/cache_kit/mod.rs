//! What the Redis and PostgreSQL cache tests share: two instances of one store, each with
//! its own cache and link, and the check that one never reads the other's old record.
#![allow(clippy::disallowed_methods, dead_code)]

use std::time::{Duration, Instant};

use session_core::{Record, SessionId, Store};
use session_stores::CachedStore;
use time::OffsetDateTime;

pub fn record(version: u64) -> Record {
    let expires = OffsetDateTime::now_utc() + time::Duration::hours(1);
    let mut record = Record::new(
        format!("{{\"v\":{version}}}").into_bytes(),
        expires,
        version,
    );
    record.user = Some("cache-user".to_owned());
    record
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// `rounds` times: B reads the record twice (the second from memory), A saves the next
/// version, and B must read it at once. With `pushed` (a link the server pushes to), returns
/// how long each write took to reach B's cache with no read asking for it (from A issuing
/// the save to B having dropped the record).
pub async fn b_never_reads_what_a_replaced<S: Store + Clone>(
    backend: &str,
    a: &CachedStore<S>,
    b: &CachedStore<S>,
    rounds: u64,
    pushed: bool,
) -> Vec<Duration> {
    let id = SessionId::generate().unwrap();
    a.create(&id, &record(1)).await.unwrap();
    let mut delays = Vec::new();
    let hits_before = b.stats().hits;
    for version in 1..=rounds {
        for _ in 0..2 {
            let seen = b.load(&id, now()).await.unwrap().expect("the record");
            assert_eq!(seen.version, version, "{backend}: B read an old version");
        }
        let dropped_before = b.stats().invalidations;
        let start = Instant::now();
        a.save(&id, &record(version + 1), version).await.unwrap();
        while pushed && b.stats().invalidations == dropped_before {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{backend}: B never heard of the write"
            );
            tokio::task::yield_now().await;
        }
        if pushed {
            delays.push(start.elapsed());
        }
    }
    let last = b.load(&id, now()).await.unwrap().expect("the record");
    assert_eq!(last.version, rounds + 1);
    // A revocation (a delete of the user's sessions) on A: B never serves the record again.
    a.delete_user_sessions("cache-user", None).await.unwrap();
    assert_eq!(
        b.load(&id, now()).await.unwrap(),
        None,
        "{backend}: B read a revoked session"
    );
    let hits = b.stats().hits - hits_before;
    assert!(
        hits >= rounds,
        "{backend}: only {hits} hits in {rounds} rounds"
    );
    delays
}

/// p50 / p99 / max of `delays`, in µs.
pub fn summary(mut delays: Vec<Duration>) -> String {
    delays.sort();
    let at = |q: f64| delays[((delays.len() - 1) as f64 * q) as usize].as_micros();
    format!(
        "p50 {} µs, p99 {} µs, max {} µs over {} writes",
        at(0.5),
        at(0.99),
        at(1.0),
        delays.len()
    )
}

/// Waits (bounded) until the cache's link is `up`; returns how long it took.
pub async fn until_link<S>(cache: &CachedStore<S>, up: bool, limit: Duration) -> Duration {
    let start = Instant::now();
    while cache.stats().link_up != up {
        assert!(
            start.elapsed() < limit,
            "the link was not {} within {limit:?}",
            if up { "up" } else { "down" }
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    start.elapsed()
}
