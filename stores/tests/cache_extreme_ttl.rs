//! A read cache configured with the longest TTL there is still loads (the instant before
//! which entries are stale saturates rather than overflowing).
#![cfg(feature = "memory")]

use std::time::Duration;

use futures_util::FutureExt;
use session_core::{Record, SessionId, Store};
use session_stores::{CachedStore, MemoryStore};
use time::macros::datetime;

#[test]
fn a_cache_with_the_longest_ttl_loads() {
    let now = datetime!(2030-01-01 0:00 UTC);
    let store = CachedStore::new(MemoryStore::new(), move || now).ttl(Duration::MAX);
    let id = SessionId::generate().expect("randomness");
    let record = Record::new(b"{}".to_vec(), now + Duration::from_secs(60), 1);
    store
        .create(&id, &record)
        .now_or_never()
        .expect("immediate")
        .expect("create");
    let loaded = store
        .load(&id, now)
        .now_or_never()
        .expect("immediate")
        .expect("load");
    assert_eq!(loaded, Some(record));
}
