//! What only the memory store has: its sweeper's cost and its capacity.
#![cfg(feature = "memory")]

use futures_util::FutureExt;
use session_core::{Record, SessionId, Store};
use session_stores::MemoryStore;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);

fn create(store: &MemoryStore, expires_at: OffsetDateTime) -> SessionId {
    let id = SessionId::generate().unwrap();
    let record = Record::new(b"{}".to_vec(), expires_at, 1);
    store.create(&id, &record).now_or_never().unwrap().unwrap();
    id
}

#[test]
fn sweep_removes_exactly_the_expired_sessions() {
    let store = MemoryStore::new();
    let early: Vec<_> = (0..100)
        .map(|i| create(&store, T0 + Duration::seconds(i)))
        .collect();
    let late: Vec<_> = (0..50)
        .map(|_| create(&store, T0 + Duration::HOUR))
        .collect();
    assert_eq!(store.sweep(T0 + Duration::seconds(49)), 50);
    assert_eq!(
        store.sweep(T0 + Duration::seconds(49)),
        0,
        "nothing left to sweep"
    );
    assert_eq!(store.sweep(T0 + Duration::MINUTE * 2), 50);
    assert_eq!(store.len(), 50);
    for id in &early {
        assert!(store
            .load(id, T0)
            .now_or_never()
            .unwrap()
            .unwrap()
            .is_none());
    }
    for id in &late {
        assert!(store
            .load(id, T0)
            .now_or_never()
            .unwrap()
            .unwrap()
            .is_some());
    }
}

#[test]
fn touch_moves_a_session_in_the_expiry_order() {
    let store = MemoryStore::new();
    let id = create(&store, T0 + Duration::seconds(10));
    store
        .touch(&id, T0 + Duration::HOUR)
        .now_or_never()
        .unwrap()
        .unwrap();
    assert_eq!(
        store.sweep(T0 + Duration::MINUTE),
        0,
        "the touched session is not swept"
    );
    assert_eq!(store.sweep(T0 + Duration::HOUR), 1);
}

#[test]
fn capacity_evicts_the_session_closest_to_expiry() {
    let store = MemoryStore::builder().shards(1).capacity(3).build();
    let soonest = create(&store, T0 + Duration::seconds(1));
    let others: Vec<_> = (2..4)
        .map(|i| create(&store, T0 + Duration::seconds(i)))
        .collect();
    let newest = create(&store, T0 + Duration::HOUR);
    assert_eq!(store.len(), 3);
    let live = |id: &SessionId| {
        store
            .load(id, T0)
            .now_or_never()
            .unwrap()
            .unwrap()
            .is_some()
    };
    assert!(!live(&soonest), "the soonest-expiring session made room");
    assert!(others.iter().all(live) && live(&newest));
}
