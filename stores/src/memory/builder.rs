//! The memory store's settings and their defaults.

use std::sync::atomic::{AtomicI64, AtomicUsize};
use std::sync::{Arc, Mutex};

use super::hasher::IdHasherBuilder;
use super::shard::Shard;
use super::{Inner, MemoryStore};

impl MemoryStore {
    /// Sessions a store holds at most unless told otherwise
    /// ([`MemoryStoreBuilder::capacity`]): about 13 MB beyond the sessions' data (about 130
    /// bytes a session), 20 MB with payloads of 60 bytes.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// Bytes of session data (payloads, user names, and 8 bytes of version a session) a
    /// store holds at most unless told otherwise ([`MemoryStoreBuilder::data_budget`]):
    /// 256 MiB. With the default capacity, it is what limits a store whose sessions average
    /// more than about 2.6 KiB.
    pub const DEFAULT_DATA_BUDGET: usize = 256 << 20;
}

/// Configures a [`MemoryStore`].
///
/// ```
/// use session_stores::MemoryStore;
/// let store = MemoryStore::builder()
///     .shards(64)
///     .capacity(1_000_000)
///     .data_budget(1 << 30)
///     .build();
/// assert!(store.is_empty());
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct MemoryStoreBuilder {
    pub(super) shards: usize,
    pub(super) capacity: Option<usize>,
    pub(super) data_budget: Option<usize>,
}

impl Default for MemoryStoreBuilder {
    fn default() -> Self {
        Self {
            shards: 256,
            capacity: Some(MemoryStore::DEFAULT_CAPACITY),
            data_budget: Some(MemoryStore::DEFAULT_DATA_BUDGET),
        }
    }
}

impl MemoryStoreBuilder {
    /// Number of shards (rounded up to a power of two). Default: 256.
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = shards.max(1).next_power_of_two();
        self
    }

    /// At most this many sessions, spread evenly over the shards: each shard holds at most
    /// `sessions / shards` (at least one), so a store never holds more than `sessions` once
    /// that is at least the number of shards. Default: [`MemoryStore::DEFAULT_CAPACITY`].
    pub fn capacity(mut self, sessions: usize) -> Self {
        self.capacity = Some(sessions);
        self
    }

    /// At most about this many bytes of session data (payloads, user names, and 8 bytes of
    /// version a session): once the store holds more, each create evicts a 32nd of its
    /// shard (the shards report their data to the store-wide count in steps of 64 KiB, so
    /// the count may lag by up to 64 KiB a shard). Saves may grow the data past the budget;
    /// the creates that follow bring it back. Default: [`MemoryStore::DEFAULT_DATA_BUDGET`].
    pub fn data_budget(mut self, bytes: usize) -> Self {
        self.data_budget = Some(bytes);
        self
    }

    /// Neither a capacity nor a data budget: the store grows with every session created
    /// until the session expires and a sweep or a later create in its shard removes it. Only
    /// for stores whose creates are bounded by something else (no session is ever created
    /// for a request that has not logged in, say): otherwise anyone can fill the memory.
    pub fn unbounded(mut self) -> Self {
        self.capacity = None;
        self.data_budget = None;
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
                per_shard_cap: self.capacity.map(|c| (c / self.shards).max(1)),
                data_budget: self.data_budget,
                data_bytes: AtomicUsize::new(0),
                now_ms: AtomicI64::new(i64::MIN),
                trimmer: Default::default(),
                users: Mutex::default(),
            }),
        }
    }
}
