//! The in-process store: sharded maps of compact slots, bounded by default; expired sessions
//! are removed as new ones are created, and by [`MemoryStore::sweep`].

mod builder;
mod hasher;
mod inventory;
mod packed_id;
mod shard;
mod slab;
mod slot;
mod trim;
mod users;

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use session_core::{unix_millis, ImmediateStore, Record, SessionId, Store, StoreError};
use time::OffsetDateTime;

pub use builder::MemoryStoreBuilder;
use hasher::IdHasherBuilder;
use shard::{Key, Limits, Shard};
use slot::{Contents, SlotRef};
use trim::Trimmer;

use crate::lock::lock;

/// Sessions kept in this process's memory: the embedded default.
///
/// Sharded (each shard has its own lock, so requests for different sessions rarely wait on
/// each other), expiry honoured on every load. A session costs about 130 bytes beyond its
/// data (a generated id is kept as its 24 raw bytes).
///
/// **Bounded by default**, so that requests that each create a session (any route that
/// writes to an anonymous session) cannot fill the memory: at most
/// [`MemoryStore::DEFAULT_CAPACITY`] sessions (100,000: about 13 MB beyond their data,
/// 20 MB with 60-byte payloads) and [`MemoryStore::DEFAULT_DATA_BUDGET`] bytes of session
/// data (256 MiB); see [`MemoryStoreBuilder`] to change either, or
/// [`MemoryStoreBuilder::unbounded`]. The memory of removed sessions is reused by the next
/// ones and, once a shard has freed as many bytes as its sessions hold, handed back to the
/// allocator: once a spike of sessions is gone, the store no longer holds its memory.
/// With glibc's allocator, which keeps freed memory for the process's next allocations, the
/// store then asks it to return its free pages to the system once the shards have freed
/// 16 MiB: after a spike the process's resident memory comes back to about the empty
/// store's.
///
/// **Expired sessions go without a sweeper**: the store keeps the latest time it was told
/// (by [`load`](ImmediateStore::load), [`sweep`](MemoryStore::sweep) or
/// [`user_sessions`](Store::user_sessions)), and every so many creates in a shard (an eighth
/// of the shard's size, at least 16) remove that shard's sessions expired by then (but never
/// by a time later than the system clock, so that a caller probing a future instant, as a
/// test of an expiry does, cannot have live sessions removed); a shard whose earliest expiry
/// is later is not scanned. [`MemoryStore::sweep`] (or [`MemoryStore::spawn_sweeper`])
/// still removes every expired session at once.
///
/// **Eviction** when a create finds its shard full (or the store over its data budget)
/// removes, in one pass, a 32nd of the shard in this order: every expired session; then
/// anonymous sessions not loaded, saved or touched since they were created; then anonymous
/// sessions in use; then sessions bound to a user not used since created; then those in use;
/// within each group, the session closest to expiry first. So a session in use, or bound to a
/// user, is evicted only when its shard holds no expired session and no anonymous one that a
/// single request made: a flood of new sessions evicts its own.
///
/// Cloning shares the same sessions.
///
/// ```
/// use session_stores::MemoryStore;
/// use session_core::{Record, SessionId, Store};
/// use time::macros::datetime;
/// # futures_util::FutureExt::now_or_never(async {
/// let store = MemoryStore::new();
/// let id = SessionId::generate().unwrap();
/// let expires = datetime!(2030-01-01 1:00 UTC);
/// store.create(&id, &Record::new(b"{}".to_vec(), expires, 1)).await.unwrap();
/// assert!(store.load(&id, datetime!(2030-01-01 0:00 UTC)).await.unwrap().is_some());
/// assert!(store.load(&id, expires).await.unwrap().is_none());
/// assert_eq!(store.sweep(expires), 1);
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    shards: Box<[Mutex<Shard>]>,
    hasher: IdHasherBuilder,
    per_shard_cap: Option<usize>,
    data_budget: Option<usize>,
    /// Bytes of session data in the store, as the shards last reported them.
    data_bytes: AtomicUsize,
    /// The latest time (Unix milliseconds) a caller passed to a load, sweep or listing.
    now_ms: AtomicI64,
    /// Returns freed memory to the system after a spike (see [`trim`]).
    trimmer: Trimmer,
    /// User id → ids of that user's sessions. Entries of deleted or expired sessions are
    /// pruned when the user's sessions are next listed; every id is checked against its
    /// shard, so a stale entry is never reported. Locked after a shard lock, never before.
    users: Mutex<HashMap<Box<str>, HashSet<String>>>,
}

/// A shard reports its data to the store-wide count once it has changed by this many bytes,
/// so that the shared counter is written about once per this many bytes, not on every write.
const REPORT_STEP: usize = 64 * 1024;

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// A store with the defaults: 256 shards, [`MemoryStore::DEFAULT_CAPACITY`] sessions,
    /// [`MemoryStore::DEFAULT_DATA_BUDGET`] bytes of session data.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder with the defaults.
    pub fn builder() -> MemoryStoreBuilder {
        MemoryStoreBuilder::default()
    }

    fn shard(&self, key: &Key<'_>) -> MutexGuard<'_, Shard> {
        let hash = match key {
            Key::Packed(k) => self.inner.hasher.hash_one(k),
            Key::Text(t) => self.inner.hasher.hash_one(t),
        };
        // The map uses the hash's low bits for its buckets; the shard takes higher ones.
        let index = (hash >> 40) as usize & (self.inner.shards.len() - 1);
        lock(&self.inner.shards[index])
    }

    /// Remembers `now_ms` if it is the latest time the store has been told.
    fn learn_time(&self, now_ms: i64) {
        // A read first: the shared value changes at most once a millisecond.
        if now_ms > self.inner.now_ms.load(Ordering::Relaxed) {
            self.inner.now_ms.fetch_max(now_ms, Ordering::Relaxed);
        }
    }

    /// Brings the store-wide data count up to date with `shard` once they differ by a step.
    fn report_bytes(&self, shard: &mut Shard) {
        self.inner.trimmer.freed(shard.take_released());
        let (bytes, reported) = (shard.bytes(), shard.reported_bytes);
        if bytes.abs_diff(reported) < REPORT_STEP {
            return;
        }
        if bytes > reported {
            self.inner
                .data_bytes
                .fetch_add(bytes - reported, Ordering::Relaxed);
        } else {
            self.inner
                .data_bytes
                .fetch_sub(reported - bytes, Ordering::Relaxed);
        }
        shard.reported_bytes = bytes;
    }

    /// Removes every session expired at `now`; returns how many.
    ///
    /// Scans every session, one shard at a time: a shard's lock is held only while that shard
    /// is scanned, so a request waits for at most one shard's scan.
    pub fn sweep(&self, now: OffsetDateTime) -> usize {
        let now = unix_millis(now);
        self.learn_time(now);
        let mut removed = 0;
        let mut unindexed = Vec::new();
        for shard in self.inner.shards.iter() {
            let mut shard = lock(shard);
            removed += shard.remove_where(|slot| slot.expires_ms <= now, &mut unindexed);
            self.report_bytes(&mut shard);
        }
        self.unindex(unindexed);
        self.inner.trimmer.trim_if_due();
        removed
    }

    /// Number of sessions held, expired or not.
    pub fn len(&self) -> usize {
        self.inner.shards.iter().map(|s| lock(s).len()).sum()
    }

    /// Whether the store holds no session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sweeps expired sessions every `interval` on a tokio task, reading the time from
    /// `clock`. The task ends when every clone of the store is dropped.
    #[cfg(feature = "tokio")]
    pub fn spawn_sweeper(
        &self,
        interval: std::time::Duration,
        clock: impl session_core::Clock,
    ) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                MemoryStore { inner }.sweep(clock.now());
            }
        })
    }
}

fn record_of(slot: SlotRef<'_>) -> Record {
    Record::new(
        slot.payload().to_vec(),
        session_core::from_unix_millis(slot.expires_ms),
        slot.version(),
    )
    .with_user(slot.user().map(str::to_owned))
}

fn contents_of(record: &Record) -> Contents<'_> {
    Contents {
        payload: &record.payload,
        version: record.version,
        user: record.user.as_deref(),
    }
}

// The whole store is in this process, behind short locks: no call ever waits for IO.
impl ImmediateStore for MemoryStore {
    fn load(&self, id: &SessionId, now: OffsetDateTime) -> Result<Option<Record>, StoreError> {
        let key = Key::of(id);
        let now = unix_millis(now);
        self.learn_time(now);
        let mut shard = self.shard(&key);
        Ok(shard
            .get_in_use(&key)
            .filter(|slot| slot.expires_ms > now)
            .map(record_of))
    }

    fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        let key = Key::of(id);
        let limits = Limits {
            sessions: self.inner.per_shard_cap,
            over_budget: self
                .inner
                .data_budget
                .is_some_and(|budget| self.inner.data_bytes.load(Ordering::Relaxed) > budget),
            told_ms: self.inner.now_ms.load(Ordering::Relaxed),
        };
        let mut unindexed = Vec::new();
        let mut shard = self.shard(&key);
        shard.make_room(&key, &limits, &mut unindexed);
        let inserted = shard.insert_new(&key, unix_millis(record.expires_at), &contents_of(record));
        self.report_bytes(&mut shard);
        drop(shard);
        self.unindex(unindexed);
        self.inner.trimmer.trim_if_due();
        if !inserted? {
            return Err(StoreError::duplicate_id());
        }
        self.index_user(id.as_str(), record.user.as_deref());
        Ok(())
    }

    fn save(
        &self,
        id: &SessionId,
        record: &Record,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let key = Key::of(id);
        let mut shard = self.shard(&key);
        let saved = shard.save(
            &key,
            expected_version,
            unix_millis(record.expires_at),
            &contents_of(record),
        );
        self.report_bytes(&mut shard);
        drop(shard);
        if saved? {
            self.index_user(id.as_str(), record.user.as_deref());
        }
        Ok(())
    }

    fn touch(&self, id: &SessionId, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        let key = Key::of(id);
        self.shard(&key).set_expiry(&key, unix_millis(expires_at));
        Ok(())
    }

    fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        let key = Key::of(id);
        let mut shard = self.shard(&key);
        shard.remove(&key);
        self.report_bytes(&mut shard);
        drop(shard);
        self.inner.trimmer.trim_if_due();
        Ok(())
    }
}

impl Store for MemoryStore {
    fn backend_name(&self) -> &'static str {
        "memory"
    }

    async fn load(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Result<Option<Record>, StoreError> {
        ImmediateStore::load(self, id, now)
    }

    async fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        ImmediateStore::create(self, id, record)
    }

    async fn save(
        &self,
        id: &SessionId,
        record: &Record,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        ImmediateStore::save(self, id, record, expected_version)
    }

    async fn touch(&self, id: &SessionId, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        ImmediateStore::touch(self, id, expires_at)
    }

    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        ImmediateStore::delete(self, id)
    }

    fn immediate(&self) -> Option<&dyn ImmediateStore> {
        Some(self)
    }

    async fn user_sessions(
        &self,
        user: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(SessionId, Record)>, StoreError> {
        Ok(self.sessions_of(user, now))
    }

    async fn delete_user_sessions(
        &self,
        user: &str,
        except: Option<&SessionId>,
    ) -> Result<u64, StoreError> {
        Ok(self.delete_sessions_of(user, except))
    }
}
