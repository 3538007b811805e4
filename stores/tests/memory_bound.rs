//! The memory store's bounds with the defaults: a flood of one-request sessions keeps it
//! within its capacity and a few tens of MiB, without evicting the sessions in use. Its own
//! test binary, so that no other test's allocations count in the resident memory.
#![cfg(feature = "memory")]

mod common;
use common::{rss, CSRF_PAYLOAD};

use session_core::{ImmediateStore, Record, SessionId};
use session_stores::MemoryStore;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);

/// The most the process's resident memory may grow while 2,000,000 such sessions are
/// created: the default capacity's 100,000 sessions take about 20 MiB (about 200 bytes each
/// with their data); the rest is headroom for the allocator.
const RSS_GROWTH_BOUND: usize = 48 << 20;

fn create(store: &MemoryStore, user: Option<&str>, expires_at: OffsetDateTime) -> SessionId {
    let id = SessionId::generate().expect("randomness");
    let record = Record::new(CSRF_PAYLOAD.to_vec(), expires_at, 1).with_user(user.map(Into::into));
    ImmediateStore::create(store, &id, &record).expect("create");
    id
}

fn live(store: &MemoryStore, id: &SessionId, now: OffsetDateTime) -> bool {
    ImmediateStore::load(store, id, now)
        .expect("load")
        .is_some()
}

/// A request of a session in use: it loads the session and moves its expiry.
fn use_session(store: &MemoryStore, id: &SessionId, now: OffsetDateTime, lifetime: Duration) {
    assert!(live(store, id, now), "a session in use was evicted");
    ImmediateStore::touch(store, id, now + lifetime).expect("touch");
}

#[test]
fn two_million_one_request_sessions_stay_within_the_default_bounds_and_spare_sessions_in_use() {
    const CREATES: i64 = 2_000_000;
    const USE_EVERY: i64 = 1000;
    // Logged-in sessions on a short idle timeout, one-request sessions on a day: the former
    // are always the closest to expiry.
    let (idle, day) = (Duration::HOUR, Duration::DAY);
    let store = MemoryStore::new();
    let before = rss();
    let logged_in = create(&store, Some("ann"), T0 + idle);
    let anonymous_in_use = create(&store, None, T0 + idle);
    for i in 0..CREATES {
        // A millisecond a create: 2,000,000 creates in 33 minutes.
        let now = T0 + Duration::milliseconds(i);
        create(&store, None, now + day);
        if i % USE_EVERY == 0 {
            use_session(&store, &logged_in, now, idle);
            use_session(&store, &anonymous_in_use, now, idle);
        }
    }
    let end = T0 + Duration::milliseconds(CREATES);
    let (len, grown) = (store.len(), rss().saturating_sub(before));
    println!(
        "{CREATES} creates: {len} sessions held, RSS grew {:.1} MiB",
        grown as f64 / f64::from(1 << 20)
    );
    assert!(
        len <= MemoryStore::DEFAULT_CAPACITY,
        "{len} sessions held, over the default capacity"
    );
    assert!(
        len > MemoryStore::DEFAULT_CAPACITY / 2,
        "{len} sessions held: eviction went far past what was needed"
    );
    assert!(
        grown <= RSS_GROWTH_BOUND,
        "RSS grew {grown} bytes, over {RSS_GROWTH_BOUND}"
    );
    assert!(
        live(&store, &logged_in, end),
        "the logged-in session was evicted"
    );
    assert!(
        live(&store, &anonymous_in_use, end),
        "the anonymous session in use was evicted"
    );
}
