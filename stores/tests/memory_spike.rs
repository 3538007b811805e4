//! The memory store gives its memory back after a spike: once a million sessions have expired
//! and been removed, by a sweep or by the creates that follow, every byte they took is freed.
//! Its own test binary, with a single test and a counting global allocator, so that no other
//! test's allocations count.
//!
//! What the process holds allocated must come back to the empty store's (within the
//! harness's slack) both ways; after the sweep, its resident memory must too, within 20%
//! (with glibc the store asks the allocator to return its free pages once enough was freed).
//! Sessions removed one by one by creates and deletes leave less than a trim's worth
//! between two trims, and that stays resident until the allocator reuses it.
#![cfg(feature = "memory")]

mod common;
use common::{rss, CSRF_PAYLOAD};

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::FutureExt;
use session_core::{ImmediateStore, Record, SessionId, Store};
use session_stores::MemoryStore;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`, which upholds `GlobalAlloc`'s
// contract; the counter is only arithmetic on the sizes the caller passed.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same layout, forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// In the past: sessions count as expired by the system clock too, as creates require.
const T0: OffsetDateTime = datetime!(2020-01-01 0:00 UTC);

/// Sessions in the spike.
const SPIKE: usize = 1_000_000;

/// One session in this many is bound to a user of its own, so that the user index grows
/// with the spike too.
const USER_EVERY: usize = 8;

/// Bytes the test harness may hold beside the empty store once a spike is gone (this test's
/// own buffers are dropped before each reading): slack, not a measured need.
const HARNESS_SLACK: usize = 64 << 10;

fn mib(bytes: usize) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

/// What the process holds: bytes allocated, and resident memory.
#[derive(Clone, Copy)]
struct Reading {
    allocated: usize,
    rss: usize,
}

impl Reading {
    fn now() -> Self {
        Self {
            allocated: ALLOCATED.load(Ordering::Relaxed),
            rss: rss(),
        }
    }
}

impl std::fmt::Display for Reading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.1} MiB allocated, RSS {:.1} MiB",
            mib(self.allocated),
            mib(self.rss)
        )
    }
}

/// Creates the spike's sessions, all expiring at `expires_at`.
fn spike(store: &MemoryStore, expires_at: OffsetDateTime) {
    for i in 0..SPIKE {
        let id = SessionId::generate().expect("randomness");
        let user = (i % USER_EVERY == 0).then(|| format!("user-{i}"));
        let record = Record::new(CSRF_PAYLOAD.to_vec(), expires_at, 1).with_user(user);
        ImmediateStore::create(store, &id, &record).expect("create");
    }
    assert_eq!(store.len(), SPIKE);
}

/// The spike is gone: the bytes allocated are back to the empty store's.
fn assert_freed(empty: Reading, now: Reading, after: &str) {
    assert!(
        now.allocated <= empty.allocated + HARNESS_SLACK,
        "{:.1} KiB still allocated {after}, beyond the empty store's",
        now.allocated.saturating_sub(empty.allocated) as f64 / 1024.0
    );
}

/// The resident memory is within 20% of the empty store's.
fn assert_returned(empty: Reading, now: Reading, after: &str) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    assert!(
        now.rss * 5 <= empty.rss * 6,
        "RSS {after} is {:.1} MiB, more than 20% over the empty store's {:.1} MiB",
        mib(now.rss),
        mib(empty.rss)
    );
}

#[test]
fn every_byte_of_a_million_expired_sessions_is_freed_once_swept_or_removed_by_creates() {
    let store = MemoryStore::builder().capacity(2 * SPIKE).build();
    // The empty store as a running process has it: the allocator's structures for this
    // thread set up by a few sessions, created and swept.
    let expires_at = T0 + Duration::SECOND;
    for _ in 0..1_000 {
        let id = SessionId::generate().expect("randomness");
        let record = Record::new(CSRF_PAYLOAD.to_vec(), expires_at, 1);
        ImmediateStore::create(&store, &id, &record).expect("create");
    }
    store.sweep(expires_at);
    let empty = Reading::now();

    // Removed by a sweep.
    let expires_at = T0 + Duration::MINUTE;
    spike(&store, expires_at);
    let peak = Reading::now();
    assert_eq!(store.sweep(expires_at), SPIKE);
    assert!(store.is_empty());
    let swept = Reading::now();
    println!("empty store: {empty}\n{SPIKE} sessions: {peak}\nswept: {swept}");
    assert!(
        peak.allocated > empty.allocated + SPIKE * 100,
        "the spike took {:.1} MiB: too little to tell",
        mib(peak.allocated - empty.allocated)
    );
    assert_freed(empty, swept, "after the sweep");
    assert_returned(empty, swept, "after the sweep");

    // Removed by the creates that follow, with no sweep: a later load tells the store the
    // time, and each shard removes its expired sessions once enough creates reach it. Then
    // those creates' sessions are deleted one by one.
    let expires_at = T0 + Duration::MINUTE * 2;
    spike(&store, expires_at);
    let later = expires_at + Duration::MINUTE;
    let probe = SessionId::generate().expect("randomness");
    assert!(ImmediateStore::load(&store, &probe, later)
        .expect("load")
        .is_none());
    let mut created = Vec::new();
    while store.len() > created.len() {
        let id = SessionId::generate().expect("randomness");
        let record = Record::new(CSRF_PAYLOAD.to_vec(), later + Duration::DAY, 1);
        ImmediateStore::create(&store, &id, &record).expect("create");
        created.push(id);
    }
    for id in &created {
        ImmediateStore::delete(&store, id).expect("delete");
    }
    assert!(store.is_empty());
    let creates = created.len();
    drop(created);
    let made_room = Reading::now();
    println!("removed by {creates} creates, then those deleted: {made_room}");
    assert_freed(empty, made_room, "after creates removed the spike");

    // The user index forgot the spike's users.
    let listed = store
        .user_sessions("user-0", later)
        .now_or_never()
        .expect("the memory store never waits")
        .expect("listing");
    assert!(listed.is_empty());
}
