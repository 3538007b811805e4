//! How the memory store makes room as sessions are created: expired sessions removed with no
//! sweep, the order in which a full shard evicts, and the data budget.
#![cfg(feature = "memory")]

use futures_util::FutureExt;
use session_core::{ImmediateStore, Record, SessionId, Store};
use session_stores::MemoryStore;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// In the past: the store counts no session expired before the system clock says so.
const T0: OffsetDateTime = datetime!(2020-01-01 0:00 UTC);

fn create(store: &MemoryStore, user: Option<&str>, expires_at: OffsetDateTime) -> SessionId {
    let id = SessionId::generate().expect("randomness");
    let record = Record::new(b"{}".to_vec(), expires_at, 1).with_user(user.map(Into::into));
    ImmediateStore::create(store, &id, &record).expect("create");
    id
}

fn live(store: &MemoryStore, id: &SessionId, now: OffsetDateTime) -> bool {
    ImmediateStore::load(store, id, now)
        .expect("load")
        .is_some()
}

#[test]
fn expired_sessions_are_removed_by_creates_alone() {
    let store = MemoryStore::new();
    for _ in 0..10_000 {
        create(&store, None, T0 + Duration::MINUTE);
    }
    assert_eq!(store.len(), 10_000);
    // A later request's load tells the store the time; nothing calls `sweep`.
    let later = T0 + Duration::MINUTE * 2;
    assert!(!live(
        &store,
        &SessionId::generate().expect("randomness"),
        later
    ));
    for _ in 0..20_000 {
        create(&store, None, later + Duration::DAY);
    }
    assert_eq!(
        store.len(),
        20_000,
        "the 10,000 expired sessions are still held"
    );
}

#[test]
fn a_full_shard_evicts_expired_then_unused_anonymous_then_in_use_then_user_bound_sessions() {
    let store = MemoryStore::builder().shards(1).capacity(4).build();
    let minutes = |m: i64| T0 + Duration::minutes(m);
    let user_in_use = create(&store, Some("ann"), minutes(1));
    assert!(live(&store, &user_in_use, T0));
    // Bob's session is never loaded: it is checked by listing his sessions.
    create(&store, Some("bob"), minutes(2));
    let anonymous_in_use = create(&store, None, minutes(3));
    assert!(live(&store, &anonymous_in_use, T0));
    let expired = create(&store, None, T0 + Duration::seconds(10));
    // The store learns the time from a load: `expired` has expired by then.
    let now = T0 + Duration::seconds(20);
    assert!(live(&store, &anonymous_in_use, now));
    let gone = |id: &SessionId| !live(&store, id, now);

    // Listing a user's sessions does not count as using them, as a load does.
    let listed = |user: &str| {
        let listing = Store::user_sessions(&store, user, now).now_or_never();
        !listing.expect("immediate").expect("listing").is_empty()
    };

    // The expired session goes first.
    let first_new = create(&store, None, minutes(60));
    assert!(gone(&expired));
    // Then a session no request used since it was created, though it expires last.
    let second_new = create(&store, None, minutes(120));
    assert!(gone(&first_new));
    assert!(!gone(&user_in_use) && listed("bob") && !gone(&anonymous_in_use));
    // With none left unused (this load puts `second_new` in use), the anonymous session in
    // use closest to expiry.
    assert!(!gone(&second_new));
    let third_new = create(&store, None, minutes(180));
    assert!(gone(&anonymous_in_use) && !gone(&second_new));
    // With no anonymous session left, a user's session not used since it was created goes
    // before one in use, though the latter expires sooner.
    ImmediateStore::delete(&store, &second_new).expect("delete");
    ImmediateStore::delete(&store, &third_new).expect("delete");
    create(&store, Some("cy"), minutes(240));
    assert!(listed("bob"));
    create(&store, Some("di"), minutes(300));
    create(&store, Some("ed"), minutes(360));
    assert!(!listed("bob") && !gone(&user_in_use));
    assert_eq!(store.len(), 4);
}

#[test]
fn the_data_budget_bounds_large_sessions() {
    const SHARDS: usize = 4;
    const BUDGET: usize = 1 << 20;
    let store = MemoryStore::builder()
        .shards(SHARDS)
        .data_budget(BUDGET)
        .build();
    let payload = vec![b'x'; 1024];
    for _ in 0..10_000 {
        let id = SessionId::generate().expect("randomness");
        let record = Record::new(payload.clone(), T0 + Duration::DAY, 1);
        ImmediateStore::create(&store, &id, &record).expect("create");
    }
    // Each session is its payload and 8 bytes of version; the shards report to the store
    // in steps of 64 KiB, so the store may be over its budget by that much a shard.
    let held = store.len() * (payload.len() + 8);
    assert!(
        held <= BUDGET + SHARDS * (64 << 10) + 1032,
        "{held} bytes held"
    );
    assert!(
        held >= BUDGET / 2,
        "{held} bytes held: far under the budget"
    );
}

#[test]
fn a_load_at_a_future_instant_does_not_make_creates_remove_live_sessions() {
    // Far ahead of the system clock, as a test clock may be.
    let t = datetime!(2100-01-01 0:00 UTC);
    let store = MemoryStore::builder().shards(1).build();
    let kept: Vec<_> = (0..100)
        .map(|_| create(&store, None, t + Duration::minutes(10)))
        .collect();
    // Checking that they have expired an hour on...
    assert!(!live(&store, &kept[0], t + Duration::HOUR));
    // ...tells the store that time, but it goes by the system clock when that is earlier.
    for _ in 0..1000 {
        create(&store, None, t + Duration::DAY);
    }
    assert!(kept.iter().all(|id| live(&store, id, t)));
}
