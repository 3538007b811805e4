//! The in-process store: sharded maps with an expiry index per shard.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard};

use session_core::{unix_millis, Record, SessionId, Store, StoreError};
use time::OffsetDateTime;

/// Sessions kept in this process's memory: the embedded default.
///
/// Sharded (each shard has its own lock, so requests for different sessions rarely wait on
/// each other), expiry honoured on every load, and [`MemoryStore::sweep`] removes expired
/// sessions at a cost that grows with the number of expired ones, not with all of them (each
/// shard keeps its sessions ordered by expiry). With a capacity, creating a session in a full
/// shard evicts the one closest to expiry.
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
    hasher: RandomState,
    per_shard_cap: Option<usize>,
    /// User id → ids of that user's sessions. Entries of deleted or expired sessions are
    /// pruned when the user's sessions are next listed; every id is checked against its
    /// shard, so a stale entry is never reported. Locked after a shard lock, never before.
    users: Mutex<HashMap<Box<str>, HashSet<Arc<str>>>>,
}

#[derive(Default)]
struct Shard {
    sessions: HashMap<Arc<str>, Entry>,
    by_expiry: BTreeSet<(i64, Arc<str>)>,
}

/// Expired sessions removed per lock acquisition while sweeping.
const SWEEP_BATCH: usize = 256;

struct Entry {
    payload: Box<[u8]>,
    expires_ms: i64,
    version: u64,
    user: Option<Box<str>>,
}

/// Configures a [`MemoryStore`].
#[derive(Debug, Clone)]
#[must_use]
pub struct MemoryStoreBuilder {
    shards: usize,
    capacity: Option<usize>,
}

impl MemoryStoreBuilder {
    /// Number of shards (rounded up to a power of two). Default: 64.
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
        let shards = (0..self.shards)
            .map(|_| Mutex::new(Shard::default()))
            .collect();
        MemoryStore {
            inner: Arc::new(Inner {
                shards,
                hasher: RandomState::new(),
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
    /// An unbounded store with 64 shards.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder with the defaults.
    pub fn builder() -> MemoryStoreBuilder {
        MemoryStoreBuilder {
            shards: 64,
            capacity: None,
        }
    }

    fn shard(&self, id: &str) -> MutexGuard<'_, Shard> {
        let index = self.inner.hasher.hash_one(id) as usize & (self.inner.shards.len() - 1);
        // The maps hold plain data; a panic elsewhere cannot leave them half-updated in a way
        // that matters more than refusing service would.
        self.inner.shards[index]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn users(&self) -> MutexGuard<'_, HashMap<Box<str>, HashSet<Arc<str>>>> {
        self.inner.users.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn index_user(&self, id: &Arc<str>, user: Option<&str>) {
        if let Some(user) = user {
            self.users()
                .entry(user.into())
                .or_default()
                .insert(id.clone());
        }
    }

    /// Removes every session expired at `now`; returns how many.
    pub fn sweep(&self, now: OffsetDateTime) -> usize {
        let now = unix_millis(now);
        let mut removed = 0;
        let mut unindexed = Vec::new();
        for shard in self.inner.shards.iter() {
            // The lock is released every SWEEP_BATCH removals so that requests for this
            // shard wait for one batch, not for the whole sweep.
            let mut done = false;
            while !done {
                let mut shard = shard.lock().unwrap_or_else(|p| p.into_inner());
                done = true;
                for _ in 0..SWEEP_BATCH {
                    match shard.by_expiry.first() {
                        Some((expires, _)) if *expires <= now => {}
                        _ => break,
                    }
                    if let Some((_, id)) = shard.by_expiry.pop_first() {
                        if let Some(user) = shard.sessions.remove(&id).and_then(|e| e.user) {
                            unindexed.push((user, id));
                        }
                        removed += 1;
                    }
                }
                if shard
                    .by_expiry
                    .first()
                    .is_some_and(|(expires, _)| *expires <= now)
                {
                    done = false;
                }
            }
        }
        // Keeps the user index from growing with users who never list their sessions.
        for (user, id) in unindexed {
            self.prune(&user, &[id]);
        }
        removed
    }

    /// Number of sessions held, expired or not.
    pub fn len(&self) -> usize {
        self.inner
            .shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).sessions.len())
            .sum()
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

impl Shard {
    fn insert(&mut self, id: Arc<str>, record: &Record) {
        let expires_ms = unix_millis(record.expires_at);
        self.by_expiry.insert((expires_ms, id.clone()));
        self.sessions.insert(
            id,
            Entry {
                payload: record.payload.clone().into_boxed_slice(),
                expires_ms,
                version: record.version,
                user: record.user.as_deref().map(Box::from),
            },
        );
    }

    fn set_expiry(&mut self, id: &str, expires_ms: i64) {
        let Some((key, entry)) = self.sessions.get_key_value(id) else {
            return;
        };
        let key = key.clone();
        self.by_expiry.remove(&(entry.expires_ms, key.clone()));
        self.by_expiry.insert((expires_ms, key));
        if let Some(entry) = self.sessions.get_mut(id) {
            entry.expires_ms = expires_ms;
        }
    }

    fn remove(&mut self, id: &str) -> Option<(Arc<str>, Entry)> {
        let (key, entry) = self.sessions.remove_entry(id)?;
        self.by_expiry.remove(&(entry.expires_ms, key.clone()));
        Some((key, entry))
    }

    fn live(&self, id: &str, now_ms: i64) -> Option<&Entry> {
        self.sessions.get(id).filter(|e| e.expires_ms > now_ms)
    }
}

impl Store for MemoryStore {
    async fn load(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Result<Option<Record>, StoreError> {
        let shard = self.shard(id.as_str());
        Ok(shard.live(id.as_str(), unix_millis(now)).map(|e| {
            Record::new(
                e.payload.to_vec(),
                session_core::from_unix_millis(e.expires_ms),
                e.version,
            )
            .with_user(e.user.as_deref().map(str::to_owned))
        }))
    }

    async fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        let mut shard = self.shard(id.as_str());
        if shard.sessions.contains_key(id.as_str()) {
            return Err(StoreError::duplicate_id());
        }
        if let Some(cap) = self.inner.per_shard_cap {
            while shard.sessions.len() >= cap {
                let Some((_, victim)) = shard.by_expiry.pop_first() else {
                    break;
                };
                shard.sessions.remove(&victim);
            }
        }
        let key: Arc<str> = Arc::from(id.as_str());
        shard.insert(key.clone(), record);
        self.index_user(&key, record.user.as_deref());
        Ok(())
    }

    async fn save(
        &self,
        id: &SessionId,
        record: &Record,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let mut shard = self.shard(id.as_str());
        let Some(entry) = shard.sessions.get(id.as_str()) else {
            return Err(StoreError::not_found());
        };
        if entry.version != expected_version {
            return Err(StoreError::conflict());
        }
        // In place: the expiry index moves only when the expiry did.
        let expires_ms = unix_millis(record.expires_at);
        shard.set_expiry(id.as_str(), expires_ms);
        let Some((key, entry)) = shard.sessions.get_key_value(id.as_str()) else {
            return Err(StoreError::not_found());
        };
        let key = key.clone();
        let user_changed = entry.user.as_deref() != record.user.as_deref();
        if let Some(entry) = shard.sessions.get_mut(id.as_str()) {
            entry.payload = record.payload.as_slice().into();
            entry.version = record.version;
            entry.user = record.user.as_deref().map(Box::from);
        }
        drop(shard);
        if user_changed {
            self.index_user(&key, record.user.as_deref());
        }
        Ok(())
    }

    async fn touch(&self, id: &SessionId, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        self.shard(id.as_str())
            .set_expiry(id.as_str(), unix_millis(expires_at));
        Ok(())
    }

    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        self.shard(id.as_str()).remove(id.as_str());
        Ok(())
    }

    async fn user_sessions(
        &self,
        user: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(SessionId, Record)>, StoreError> {
        let ids: Vec<Arc<str>> = match self.users().get(user) {
            Some(ids) => ids.iter().cloned().collect(),
            None => return Ok(Vec::new()),
        };
        let now_ms = unix_millis(now);
        let mut found = Vec::new();
        let mut stale = Vec::new();
        for key in ids {
            let shard = self.shard(&key);
            match shard.sessions.get(&*key) {
                Some(e) if e.user.as_deref() == Some(user) => {
                    if e.expires_ms > now_ms {
                        if let Some(id) = SessionId::parse(&key) {
                            let record = Record::new(
                                e.payload.to_vec(),
                                session_core::from_unix_millis(e.expires_ms),
                                e.version,
                            )
                            .with_user(Some(user.to_owned()));
                            found.push((id, record));
                        }
                    }
                }
                // Gone, or rebound to another user (or none) by a later save.
                _ => stale.push(key),
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
        let ids: Vec<Arc<str>> = match self.users().get(user) {
            Some(ids) => ids.iter().cloned().collect(),
            None => return Ok(0),
        };
        let mut deleted = 0;
        let mut gone = Vec::new();
        for key in ids {
            if except.is_some_and(|keep| keep.as_str() == &*key) {
                continue;
            }
            let mut shard = self.shard(&key);
            if shard
                .sessions
                .get(&*key)
                .is_some_and(|e| e.user.as_deref() == Some(user))
            {
                shard.remove(&key);
                deleted += 1;
            }
            gone.push(key);
        }
        self.prune(user, &gone);
        Ok(deleted)
    }
}

impl MemoryStore {
    /// Drops `ids` from `user`'s index entry, and the entry once empty.
    fn prune(&self, user: &str, ids: &[Arc<str>]) {
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
}
