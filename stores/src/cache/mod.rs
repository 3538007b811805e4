//! A read cache in front of Redis or PostgreSQL that the server keeps exact: records stay
//! in process memory until the server says another instance (or this one, or any tool)
//! changed them.
//!
//! - `table`: the bounded records and the guard against a load racing a write.
//! - `redis_link`: Redis' client tracking (RESP3, broadcast mode).
//! - `pg_link`: PostgreSQL's `LISTEN/NOTIFY`, fed by a trigger.

#[cfg(feature = "postgres")]
mod pg_link;
#[cfg(feature = "redis")]
mod redis_link;
mod table;

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use session_core::{Record, SessionId, Store, StoreError, StoreErrorKind};
use time::OffsetDateTime;

use table::Table;

/// Wraps a [`RedisStore`](crate::RedisStore) or a [`PostgresStore`](crate::PostgresStore)
/// and answers `load` from process memory, with every change anywhere in the fleet
/// invalidated by the server:
///
/// - **Redis**: one extra connection per instance in RESP3 client tracking, broadcast mode
///   for the store's key prefix (Redis 6 or later). Every write, expiry or eviction of a
///   session key, from any client, is pushed to it.
/// - **PostgreSQL**: a trigger on `http_sessions` (`AFTER UPDATE OR DELETE`, installed by
///   [`CachedStore::postgres`] if missing) calls `pg_notify`, and one listening connection
///   per instance receives it.
///
/// **Never stale.** Once a write (a save, a logout, "log out everywhere") has returned on
/// any instance, no instance serves the record from before it. Before a record is served
/// from memory, the link is brought up to date: with Redis by reading what is already in
/// its socket without waiting (Redis sends the invalidation before the writer's reply),
/// with PostgreSQL by one query on the listening connection (notifications of committed
/// writes come before its answer), shared by all requests waiting at that moment. A load
/// that raced a write is answered but not kept.
///
/// **A lost link serves nothing.** While the link is down, every load goes to the store and
/// nothing is kept; when it is back, the cache starts empty. A connection that closes is
/// seen at the next request. One that goes silent is found by a heartbeat (Redis: `PING`
/// every `heartbeat`, down after two unanswered; PostgreSQL: every request's fence has
/// `timeout`): with Redis, a link that stops delivering without closing can be served from
/// for up to `2 × heartbeat` (default 250 ms).
///
/// **Bounded** by [quick_cache](https://docs.rs/quick_cache) (S3-FIFO eviction), default
/// 10,000 records.
///
/// Writes go to the store as they are (a save is still a compare-and-set there) and drop
/// the local copy; the next load fetches the new record once. [`stats`](Self::stats) counts
/// hits, misses and invalidations.
///
/// Costs: with Redis, every instance receives an invalidation for every session write in
/// the fleet (a few dozen bytes each). With PostgreSQL, every `UPDATE` and `DELETE` on the
/// table, cached or not, sends a notification, and PostgreSQL commits notifying
/// transactions one at a time; the listening connection is one more connection per
/// instance.
///
/// Not supported (refused when the cache is built, with [`StoreErrorKind::Unsupported`]):
/// a Redis store over `rediss://`, behind Sentinel, on a Cluster or on the application's
/// own connection; the MySQL and SQLite stores.
///
/// ```no_run
/// use session_stores::{CachedStore, RedisStore};
/// # async fn run() -> Result<(), session_core::StoreError> {
/// let redis = RedisStore::connect("redis://127.0.0.1:6379").await?;
/// let store = CachedStore::redis(redis).capacity(50_000).connect().await?;
/// println!("hit ratio {:.2}", store.stats().hit_ratio());
/// # Ok(()) }
/// ```
pub struct CachedStore<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S: Clone> Clone for CachedStore<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
        }
    }
}

struct Shared {
    table: Arc<Table>,
    link: Link,
}

enum Link {
    #[cfg(feature = "redis")]
    Redis(Arc<redis_link::RedisLink>),
    #[cfg(feature = "postgres")]
    Postgres(Arc<pg_link::PgLink>),
}

impl Link {
    async fn fence(&self) -> bool {
        match self {
            #[cfg(feature = "redis")]
            Link::Redis(link) => link.fence(),
            #[cfg(feature = "postgres")]
            Link::Postgres(link) => link.fence().await,
        }
    }
}

/// Configures a [`CachedStore`]: [`CachedStore::redis`] or [`CachedStore::postgres`].
#[must_use]
pub struct CachedStoreBuilder<S> {
    inner: S,
    capacity: usize,
    heartbeat: Duration,
}

impl<S> CachedStoreBuilder<S> {
    /// The most records kept (at least 1). Default: 10,000.
    ///
    /// ```
    /// # fn f(redis: session_stores::RedisStore) {
    /// let builder = session_stores::CachedStore::redis(redis).capacity(50_000);
    /// # }
    /// ```
    pub fn capacity(mut self, records: usize) -> Self {
        self.capacity = records.max(1);
        self
    }

    /// How often an idle link is checked. Default: 250 ms. With Redis, a link that stops
    /// delivering without closing is found within twice this.
    ///
    /// ```
    /// # fn f(redis: session_stores::RedisStore) {
    /// use std::time::Duration;
    /// let builder = session_stores::CachedStore::redis(redis).heartbeat(Duration::from_millis(100));
    /// # }
    /// ```
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every.max(Duration::from_millis(1));
        self
    }

    fn table(&self) -> Arc<Table> {
        Arc::new(Table::new(self.capacity))
    }
}

impl<S> CachedStore<S> {
    fn builder(inner: S) -> CachedStoreBuilder<S> {
        CachedStoreBuilder {
            inner,
            capacity: 10_000,
            heartbeat: Duration::from_millis(250),
        }
    }

    /// What the cache did so far.
    pub fn stats(&self) -> CacheStats {
        let c = &self.shared.table.stats;
        CacheStats {
            hits: c.hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            bypassed: c.bypassed.load(Ordering::Relaxed),
            invalidations: c.invalidations.load(Ordering::Relaxed),
            link_losses: c.link_losses.load(Ordering::Relaxed),
            cached: self.shared.table.len(),
            link_up: self.shared.table.is_up(),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Runs `write` (a store call that changes `id`), dropping the local copy of `id` before
    /// and after it: the next load fetches what the write left.
    async fn write_through<T>(&self, id: &SessionId, write: impl Future<Output = T>) -> T {
        self.shared.table.forget(id.as_str());
        let done = write.await;
        self.shared.table.forget(id.as_str());
        done
    }
}

#[cfg(feature = "redis")]
impl CachedStore<crate::RedisStore> {
    /// A cache in front of `store`, invalidated through Redis client tracking.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), session_core::StoreError> {
    /// let redis = session_stores::RedisStore::connect("redis://127.0.0.1:6379").await?;
    /// let store = session_stores::CachedStore::redis(redis).connect().await?;
    /// # Ok(()) }
    /// ```
    pub fn redis(store: crate::RedisStore) -> CachedStoreBuilder<crate::RedisStore> {
        Self::builder(store)
    }
}

#[cfg(feature = "redis")]
impl CachedStoreBuilder<crate::RedisStore> {
    /// Opens the invalidation link (on the current tokio runtime, which keeps it up).
    /// Fails with [`StoreErrorKind::Unsupported`] for a store it cannot follow (see
    /// [`CachedStore`]), or when Redis cannot be reached or refuses tracking (before 6).
    pub async fn connect(self) -> Result<CachedStore<crate::RedisStore>, StoreError> {
        let table = self.table();
        let target = self.inner.tracking_target()?;
        let link = redis_link::RedisLink::start(table.clone(), target, self.heartbeat).await?;
        Ok(CachedStore {
            inner: self.inner,
            shared: Arc::new(Shared {
                table,
                link: Link::Redis(link),
            }),
        })
    }
}

#[cfg(feature = "postgres")]
impl CachedStore<crate::PostgresStore> {
    /// A cache in front of `store`, invalidated through `LISTEN/NOTIFY`.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), session_core::StoreError> {
    /// let pg = session_stores::PostgresStore::connect("postgres://127.0.0.1/app").await?;
    /// pg.migrate().await?;
    /// let store = session_stores::CachedStore::postgres(pg).connect().await?;
    /// # Ok(()) }
    /// ```
    pub fn postgres(store: crate::PostgresStore) -> CachedStoreBuilder<crate::PostgresStore> {
        Self::builder(store)
    }
}

#[cfg(feature = "postgres")]
impl CachedStoreBuilder<crate::PostgresStore> {
    /// Installs the notifying trigger if the table has none (needs the `TRIGGER` privilege
    /// on `http_sessions` once), then listens on the current tokio runtime.
    pub async fn connect(self) -> Result<CachedStore<crate::PostgresStore>, StoreError> {
        let table = self.table();
        let link = pg_link::PgLink::start(
            table.clone(),
            &self.inner.pool,
            self.heartbeat,
            self.inner.settings.timeout,
        )
        .await?;
        Ok(CachedStore {
            inner: self.inner,
            shared: Arc::new(Shared {
                table,
                link: Link::Postgres(link),
            }),
        })
    }
}

/// What a [`CachedStore`] did so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Loads answered from memory.
    pub hits: u64,
    /// Loads that went to the store with the link up (the record was not cached).
    pub misses: u64,
    /// Loads that went to the store because the link was down.
    pub bypassed: u64,
    /// Records dropped because the server said they changed.
    pub invalidations: u64,
    /// Times the link was lost.
    pub link_losses: u64,
    /// Records held now.
    pub cached: usize,
    /// Whether the link is up now.
    pub link_up: bool,
}

impl CacheStats {
    /// Hits over all loads (0 before the first).
    ///
    /// ```
    /// # fn f(s: session_stores::CacheStats) {
    /// assert!((0.0..=1.0).contains(&s.hit_ratio()));
    /// # }
    /// ```
    pub fn hit_ratio(&self) -> f64 {
        let loads = self.hits + self.misses + self.bypassed;
        if loads == 0 {
            return 0.0;
        }
        self.hits as f64 / loads as f64
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
        let table = &self.shared.table;
        let up = self.shared.link.fence().await;
        if up {
            if let Some(record) = table.get(id.as_str()) {
                table.stats.hits.fetch_add(1, Ordering::Relaxed);
                return Ok((record.expires_at > now).then_some(record));
            }
            table.stats.misses.fetch_add(1, Ordering::Relaxed);
        } else {
            table.stats.bypassed.fetch_add(1, Ordering::Relaxed);
        }
        let ticket = table.ticket();
        let loaded = self.inner.load(id, now).await?;
        if let Some(record) = &loaded {
            table.fill(id.as_str(), record, ticket);
        }
        Ok(loaded)
    }

    async fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        self.inner.create(id, record).await
    }

    async fn save(
        &self,
        id: &SessionId,
        record: &Record,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        self.write_through(id, self.inner.save(id, record, expected_version))
            .await
    }

    async fn touch(&self, id: &SessionId, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        self.write_through(id, self.inner.touch(id, expires_at))
            .await
    }

    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        self.write_through(id, self.inner.delete(id)).await
    }

    async fn user_sessions(
        &self,
        user: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(SessionId, Record)>, StoreError> {
        self.inner.user_sessions(user, now).await
    }

    /// The store deletes them; the server's invalidations drop the cached copies before
    /// any later load is answered.
    async fn delete_user_sessions(
        &self,
        user: &str,
        except: Option<&SessionId>,
    ) -> Result<u64, StoreError> {
        let deleted = self.inner.delete_user_sessions(user, except).await;
        if let Err(e) = &deleted {
            if e.kind() != StoreErrorKind::Unsupported {
                // The outcome is unknown; what was cached may be gone.
                self.shared.table.flush();
            }
        }
        deleted
    }
}

/// The refusal for a Redis store the invalidation link cannot follow.
#[cfg(feature = "redis")]
pub(crate) fn unsupported_redis() -> StoreError {
    redis_link::unsupported()
}
