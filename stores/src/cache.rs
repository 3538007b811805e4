//! A read cache in front of a remote store: recently loaded records kept in process memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use session_core::{Clock, Record, SessionId, Store, StoreError, StoreErrorKind};
use time::OffsetDateTime;

/// Wraps a store (typically Redis or SQL) and answers `load` from process memory when the
/// record was read or written here less than a short TTL ago.
///
/// Correct across instances for writes: a save is still a compare-and-set in the inner
/// store, so a save based on a stale cached version fails with a conflict; the cache drops
/// the entry on that conflict, before the manager reloads, so the reload reaches the inner
/// store and the manager merges onto the fresh record (or reports the conflict). What the
/// cache trades away is read freshness: a request that only reads may see another
/// instance's write up to the TTL late (default 1 s). Keep the TTL short, or do not use it
/// where a read must see every other instance's latest write (e.g. right after a
/// "log out everywhere" on another instance: revocations are seen within the TTL).
///
/// Bounded: at most `capacity` entries (default 10 000); when full, expired entries go
/// first, then the oldest. The clock is an argument, as everywhere in this project.
///
/// Cloning shares the cache.
///
/// ```
/// use session_stores::{CachedStore, MemoryStore};
/// use std::time::Duration;
/// let clock = || time::macros::datetime!(2030-01-01 0:00 UTC);
/// let store = CachedStore::new(MemoryStore::new(), clock)
///     .ttl(Duration::from_millis(500))
///     .capacity(1000);
/// assert_eq!(store.hits(), 0);
/// ```
#[derive(Clone)]
pub struct CachedStore<S> {
    inner: S,
    shared: Arc<Shared>,
}

struct Shared {
    clock: Arc<dyn Clock>,
    entries: Mutex<HashMap<Box<str>, Entry>>,
    capacity: usize,
    ttl: time::Duration,
    hits: AtomicU64,
}

struct Entry {
    record: Record,
    cached_at: OffsetDateTime,
}

impl<S: Store> CachedStore<S> {
    /// A cache of 10 000 records for 1 s each in front of `inner`, timed by `clock`.
    pub fn new(inner: S, clock: impl Clock) -> Self {
        Self {
            inner,
            shared: Arc::new(Shared {
                clock: Arc::new(clock),
                entries: Mutex::default(),
                capacity: 10_000,
                ttl: time::Duration::SECOND,
                hits: AtomicU64::new(0),
            }),
        }
    }

    fn reconfigure(self, change: impl FnOnce(&mut Shared)) -> Self {
        let Self { inner, shared } = self;
        let mut shared = Arc::try_unwrap(shared).unwrap_or_else(|shared| Shared {
            clock: shared.clock.clone(),
            entries: Mutex::default(),
            capacity: shared.capacity,
            ttl: shared.ttl,
            hits: AtomicU64::new(0),
        });
        change(&mut shared);
        Self {
            inner,
            shared: Arc::new(shared),
        }
    }

    /// How long a record is answered from memory after it was last read or written here.
    /// Call before cloning the store.
    #[must_use]
    pub fn ttl(self, ttl: Duration) -> Self {
        let ttl = time::Duration::try_from(ttl).unwrap_or(time::Duration::MAX);
        self.reconfigure(|s| s.ttl = ttl)
    }

    /// The most records kept (at least 1). Call before cloning the store.
    #[must_use]
    pub fn capacity(self, entries: usize) -> Self {
        self.reconfigure(|s| s.capacity = entries.max(1))
    }

    /// Loads answered from memory so far.
    pub fn hits(&self) -> u64 {
        self.shared.hits.load(Ordering::Relaxed)
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<Box<str>, Entry>> {
        // Plain data: a panic elsewhere leaves nothing half-updated that matters.
        self.shared
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn remember(&self, id: &SessionId, record: &Record) {
        let now = self.shared.clock.now();
        let mut entries = self.entries();
        if entries.len() >= self.shared.capacity && !entries.contains_key(id.as_str()) {
            let ttl = self.shared.ttl;
            entries.retain(|_, e| now - e.cached_at < ttl);
            if entries.len() >= self.shared.capacity {
                let oldest = entries
                    .iter()
                    .min_by_key(|(_, e)| e.cached_at)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    entries.remove(&oldest);
                }
            }
        }
        entries.insert(
            id.as_str().into(),
            Entry {
                record: record.clone(),
                cached_at: now,
            },
        );
    }

    fn forget(&self, id: &SessionId) {
        self.entries().remove(id.as_str());
    }
}

impl<S: Store> Store for CachedStore<S> {
    /// The cached store's: the calls answered from the cache are timed under its name too.
    fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }

    async fn load(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Result<Option<Record>, StoreError> {
        let fresh_before = self.shared.clock.now().saturating_sub(self.shared.ttl);
        let cached = self
            .entries()
            .get(id.as_str())
            .filter(|e| e.cached_at > fresh_before)
            .map(|e| e.record.clone());
        if let Some(record) = cached {
            self.shared.hits.fetch_add(1, Ordering::Relaxed);
            return Ok((record.expires_at > now).then_some(record));
        }
        let loaded = self.inner.load(id, now).await?;
        match &loaded {
            Some(record) => self.remember(id, record),
            None => self.forget(id),
        }
        Ok(loaded)
    }

    async fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        self.inner.create(id, record).await?;
        self.remember(id, record);
        Ok(())
    }

    async fn save(
        &self,
        id: &SessionId,
        record: &Record,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        match self.inner.save(id, record, expected_version).await {
            Ok(()) => {
                self.remember(id, record);
                Ok(())
            }
            Err(e) => {
                // A conflict means the cached version is stale: the manager's reload must
                // reach the inner store. Any other failure leaves the outcome unknown.
                self.forget(id);
                Err(e)
            }
        }
    }

    async fn touch(&self, id: &SessionId, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        let result = self.inner.touch(id, expires_at).await;
        let mut entries = self.entries();
        match &result {
            Ok(()) => {
                if let Some(entry) = entries.get_mut(id.as_str()) {
                    entry.record.expires_at = expires_at;
                }
            }
            Err(_) => drop(entries.remove(id.as_str())),
        }
        result
    }

    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        self.forget(id);
        self.inner.delete(id).await
    }

    async fn user_sessions(
        &self,
        user: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(SessionId, Record)>, StoreError> {
        self.inner.user_sessions(user, now).await
    }

    async fn delete_user_sessions(
        &self,
        user: &str,
        except: Option<&SessionId>,
    ) -> Result<u64, StoreError> {
        let deleted = self.inner.delete_user_sessions(user, except).await;
        if !matches!(&deleted, Err(e) if e.kind() == StoreErrorKind::Unsupported) {
            self.entries().retain(|id, e| {
                e.record.user.as_deref() != Some(user)
                    || except.is_some_and(|k| k.as_str() == &**id)
            });
        }
        deleted
    }
}
