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
fn a_touched_session_is_swept_at_its_new_expiry_only() {
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

#[test]
fn ids_of_any_shape_are_kept_apart_and_round_trip() {
    let store = MemoryStore::builder().shards(1).build();
    // A generated id (kept packed), ids of other lengths, and 32 characters that are not
    // base64url (kept as text): all distinct, all found again with their data and user.
    let generated = SessionId::generate().unwrap();
    let texts = [
        "abc",
        "x".repeat(31).as_str(),
        "!".repeat(32).as_str(),
        "a".repeat(33).as_str(),
    ]
    .map(|t| SessionId::parse(t).unwrap());
    for (i, id) in std::iter::once(&generated).chain(&texts).enumerate() {
        let record = Record::new(vec![i as u8; i * 7], T0 + Duration::HOUR, 1)
            .with_user((i % 2 == 0).then(|| format!("user-{i}")));
        store.create(id, &record).now_or_never().unwrap().unwrap();
    }
    for (i, id) in std::iter::once(&generated).chain(&texts).enumerate() {
        let record = store.load(id, T0).now_or_never().unwrap().unwrap().unwrap();
        assert_eq!(record.payload, vec![i as u8; i * 7]);
        assert_eq!(record.user, (i % 2 == 0).then(|| format!("user-{i}")));
        assert_eq!(record.version, 1);
    }
    let listed = store
        .user_sessions("user-2", T0)
        .now_or_never()
        .unwrap()
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0, texts[1]);
}

#[test]
fn saves_of_the_same_and_of_another_size_replace_data_version_and_user() {
    let store = MemoryStore::new();
    let id = SessionId::generate().unwrap();
    let first = Record::new(b"{\"n\":1}".to_vec(), T0 + Duration::HOUR, 1);
    store.create(&id, &first).now_or_never().unwrap().unwrap();
    let steps = [
        (b"{\"n\":2}".to_vec(), None),
        (b"{\"n\":10}".to_vec(), Some("ann".to_owned())),
        (b"{\"n\":11}".to_vec(), Some("ann".to_owned())),
        (b"{}".to_vec(), Some("bob".to_owned())),
    ];
    for (version, (payload, user)) in (2..).zip(steps) {
        let record =
            Record::new(payload.clone(), T0 + Duration::HOUR, version).with_user(user.clone());
        store
            .save(&id, &record, version - 1)
            .now_or_never()
            .unwrap()
            .unwrap();
        let back = store
            .load(&id, T0)
            .now_or_never()
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(
            (back.payload, back.user, back.version),
            (payload, user, version)
        );
    }
    let stale = Record::new(b"{}".to_vec(), T0 + Duration::HOUR, 9);
    let err = store
        .save(&id, &stale, 1)
        .now_or_never()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), session_core::StoreErrorKind::Conflict);
}

#[test]
fn a_full_shard_evicts_a_batch_and_forgets_its_users() {
    let store = MemoryStore::builder().shards(1).capacity(64).build();
    let mut ids = Vec::new();
    for i in 0..64 {
        let id = SessionId::generate().unwrap();
        let record = Record::new(b"{}".to_vec(), T0 + Duration::seconds(i + 1), 1)
            .with_user(Some("eve".to_owned()));
        store.create(&id, &record).now_or_never().unwrap().unwrap();
        ids.push(id);
    }
    create(&store, T0 + Duration::HOUR);
    // One over the cap evicts 1 + 64/32 = 3: the three closest to expiry.
    assert_eq!(store.len(), 62);
    let live = store
        .user_sessions("eve", T0)
        .now_or_never()
        .unwrap()
        .unwrap();
    assert_eq!(live.len(), 61);
    assert!(live.iter().all(|(id, _)| !ids[..3].contains(id)));
}
