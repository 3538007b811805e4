//! The in-process store: sharded maps of compact slots, swept one shard at a time.

mod packed_id;
mod shard;
mod slab;

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard};

use session_core::{unix_millis, ImmediateStore, Record, SessionId, Store, StoreError};
use time::OffsetDateTime;

use crate::lock::lock;
use shard::{Contents, IdHasherBuilder, Key, Shard, SlotRef, Unindexed};

/// Sessions kept in this process's memory: the embedded default.
///
/// Sharded (each shard has its own lock, so requests for different sessions rarely wait on
/// each other), expiry honoured on every load, and [`MemoryStore::sweep`] removes expired
/// sessions one shard at a time. A session costs about 130 bytes beyond its data (a
/// generated id is kept as its 24 raw bytes). With a capacity, creating a session in a full
/// shard evicts the sessions closest to expiry, a 32nd of the shard at once.
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
    /// User id → ids of that user's sessions. Entries of deleted or expired sessions are
    /// pruned when the user's sessions are next listed; every id is checked against its
    /// shard, so a stale entry is never reported. Locked after a shard lock, never before.
    users: Mutex<HashMap<Box<str>, HashSet<String>>>,
}

/// Configures a [`MemoryStore`].
#[derive(Debug, Clone)]
#[must_use]
pub struct MemoryStoreBuilder {
    shards: usize,
    capacity: Option<usize>,
}

impl MemoryStoreBuilder {
    /// Number of shards (rounded up to a power of two). Default: 256.
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = shards.max(1).next_power_of_two();
        self
    }

    /// At most this many sessions (spread evenly over the shards). Default: unbounded.
    pub fn capacity(mut self, sessions: usize) -> Self {
        self.capacity = Some(sessions);
        self
    }

    /// The store.
    pub fn build(self) -> MemoryStore {
        let hasher = IdHasherBuilder::new();
        let shards = (0..self.shards)
            .map(|_| Mutex::new(Shard::new(hasher.clone())))
            .collect();
        MemoryStore {
            inner: Arc::new(Inner {
                shards,
                hasher,
                per_shard_cap: self.capacity.map(|c| c.div_ceil(self.shards).max(1)),
                users: Mutex::default(),
            }),
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An unbounded store with 256 shards.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder with the defaults.
    pub fn builder() -> MemoryStoreBuilder {
        MemoryStoreBuilder {
            shards: 256,
            capacity: None,
        }
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

    fn users(&self) -> MutexGuard<'_, HashMap<Box<str>, HashSet<String>>> {
        lock(&self.inner.users)
    }

    fn index_user(&self, id: &str, user: Option<&str>) {
        if let Some(user) = user {
            self.users()
                .entry(user.into())
                .or_default()
                .insert(id.to_owned());
        }
    }

    /// Removes every session expired at `now`; returns how many.
    ///
    /// Scans every session, one shard at a time: a shard's lock is held only while that shard
    /// is scanned, so a request waits for at most one shard's scan.
    pub fn sweep(&self, now: OffsetDateTime) -> usize {
        let now = unix_millis(now);
        let mut removed = 0;
        let mut unindexed = Vec::new();
        for shard in self.inner.shards.iter() {
            let mut shard = lock(shard);
            removed += shard.remove_where(|slot| slot.expires_ms <= now, &mut unindexed);
        }
        self.unindex(unindexed);
        removed
    }

    /// Keeps the user index from growing with users who never list their sessions.
    fn unindex(&self, unindexed: Unindexed) {
        for (user, id) in unindexed {
            self.prune(&user, &[id]);
        }
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

    /// Drops `ids` from `user`'s index entry, and the entry once empty.
    fn prune(&self, user: &str, ids: &[String]) {
        if ids.is_empty() {
            return;
        }
        let mut users = self.users();
        if let Some(set) = users.get_mut(user) {
            for id in ids {
                set.remove(id);
            }
            if set.is_empty() {
                users.remove(user);
            }
        }
    }

    fn user_ids(&self, user: &str) -> Vec<String> {
        self.users()
            .get(user)
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default()
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
        let shard = self.shard(&key);
        let now = unix_millis(now);
        Ok(shard
            .get(&key)
            .filter(|slot| slot.expires_ms > now)
            .map(record_of))
    }

    fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        let key = Key::of(id);
        let mut unindexed = Vec::new();
        let mut shard = self.shard(&key);
        if let Some(cap) = self.inner.per_shard_cap {
            if shard.len() >= cap && shard.get(&key).is_none() {
                // A 32nd of the shard at once, so that a full store pays for one scan per
                // cap/32 creates rather than one per create.
                let count = shard.len() + 1 - cap + cap / 32;
                shard.evict(count, &mut unindexed);
            }
        }
        let inserted = shard.insert_new(&key, unix_millis(record.expires_at), &contents_of(record));
        drop(shard);
        self.unindex(unindexed);
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
        let user_changed = self.shard(&key).save(
            &key,
            expected_version,
            unix_millis(record.expires_at),
            &contents_of(record),
        )?;
        if user_changed {
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
        self.shard(&key).remove(&key);
        Ok(())
    }
}

impl Store for MemoryStore {
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
        let now_ms = unix_millis(now);
        let mut found = Vec::new();
        let mut stale = Vec::new();
        for text in self.user_ids(user) {
            // The index only holds ids of stored sessions, and those are never empty.
            let Some(id) = SessionId::parse(&text) else {
                continue;
            };
            let key = Key::of(&id);
            let shard = self.shard(&key);
            match shard.get(&key) {
                Some(slot) if slot.user() == Some(user) => {
                    if slot.expires_ms > now_ms {
                        found.push((id.clone(), record_of(slot)));
                    }
                }
                // Gone, or rebound to another user (or none) by a later save.
                _ => {
                    drop(shard);
                    stale.push(text);
                }
            }
        }
        self.prune(user, &stale);
        Ok(found)
    }

    async fn delete_user_sessions(
        &self,
        user: &str,
        except: Option<&SessionId>,
    ) -> Result<u64, StoreError> {
        let mut deleted = 0;
        let mut gone = Vec::new();
        for text in self.user_ids(user) {
            if except.is_some_and(|keep| keep.as_str() == text) {
                continue;
            }
            let Some(id) = SessionId::parse(&text) else {
                continue;
            };
            let key = Key::of(&id);
            let mut shard = self.shard(&key);
            if shard.get(&key).is_some_and(|s| s.user() == Some(user)) {
                shard.remove(&key);
                deleted += 1;
            }
            drop(shard);
            gone.push(text);
        }
        self.prune(user, &gone);
        Ok(deleted)
    }
}
