//! Enumerating and counting a store's sessions, for operators' tools (the `sessions` command
//! line, a migration between stores, an admin page): [`Inventory`].
//!
//! A request never needs this: it costs a walk over the store, and the [`Store`] contract
//! stays one id at a time.

use std::future::Future;

use session_core::{Record, SessionId, Store, StoreError};
use time::OffsetDateTime;

/// Where a scan stopped: hand it back to [`Inventory::scan`] for the next page.
///
/// It is text, so that a job that must survive a restart (a migration) can keep it in a file
/// and resume with [`Cursor::new`]. What the text means is each store's own (the last id of
/// the page on the SQL stores, Redis' `SCAN` cursor on Redis): a cursor only makes sense to
/// the kind of store that made it, and a store refuses text it cannot read with
/// [`session_core::StoreErrorKind::Backend`].
///
/// ```
/// use session_stores::Cursor;
/// let saved = Cursor::new("42").as_str().to_owned();
/// assert_eq!(Cursor::new(saved), Cursor::new("42"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor(String);

impl Cursor {
    /// A cursor from its text, as [`Cursor::as_str`] gave it.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The cursor as text, to keep.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The error a store returns for a cursor it did not make.
    #[cfg(any(feature = "memory", feature = "redis"))]
    pub(crate) fn foreign(&self) -> StoreError {
        StoreError::new(
            session_core::StoreErrorKind::Backend,
            format!("{:?} is not a cursor of this kind of store", self.0),
        )
    }
}

/// One page of a scan: live sessions, and where to continue.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Page {
    /// Sessions live at the scan's `now`, each with its record as [`Store::load`] returns it.
    pub entries: Vec<(SessionId, Record)>,
    /// Where the next page starts; `None` once the scan has seen the whole store.
    pub next: Option<Cursor>,
}

impl Page {
    /// A page of `entries`, the scan continuing at `next`.
    ///
    /// ```
    /// let last = session_stores::Page::new(Vec::new(), None);
    /// assert!(last.next.is_none());
    /// ```
    pub fn new(entries: Vec<(SessionId, Record)>, next: Option<Cursor>) -> Self {
        Self { entries, next }
    }
}

/// A store whose sessions can be enumerated and counted (feature-independent: each store
/// implements it under its own feature).
///
/// A scan is a loop over pages: start with `after = None`, pass each page's
/// [`Page::next`] back, and stop when it is `None`. It is not a snapshot: a session created,
/// deleted or expiring during the scan may or may not be seen; a session that lives through
/// the whole scan is seen. Only sessions live at `now` (`expires_at > now`) are returned.
///
/// | store | order | a page | `count` costs |
/// |---|---|---|---|
/// | SQL (`PostgresStore`, `MySqlStore`, `SqliteStore`, `ConnectPgStore`) | by id (keyset: `id > last ORDER BY id LIMIT n`) | at most `limit` rows; every session once | `SELECT COUNT(*) ... WHERE expires > now`: one statement, on the expiry index |
/// | `RedisStore`, `ConnectRedisStore` | `SCAN`'s (by hash slot) | about `limit` sessions (`SCAN ... MATCH prefix* COUNT limit` is a hint), possibly none on a page that is not the last | a full `SCAN ... MATCH prefix*` of the database, plus one pipelined 17-byte `GETRANGE` (native: the record's expiry) or `TYPE` (connect-redis) per session key: exact, not an estimate (`DBSIZE` would count every other key), but a walk over the whole keyspace |
/// | [`crate::MemoryStore`] | shard by shard, by id within a shard | at most `limit` sessions | a pass over every session |
///
/// On Redis, `SCAN` returns every key present for the whole scan at least once, and may
/// return a key twice when Redis shrinks its table during the scan (after many deletions):
/// a caller that must not see a session twice keeps the ids it has seen. The user-index keys
/// (`prefix + "user:" + user`) are skipped, and so is every key whose value is not a record
/// of the store's layout. On a Redis Cluster the scan walks each master in turn (by
/// address); a failover during the scan may skip or repeat that master's keys.
///
/// ```
/// # #[cfg(feature = "memory")] {
/// use session_core::{Record, SessionId, Store};
/// use session_stores::{Inventory, MemoryStore};
/// use time::macros::datetime;
/// # futures_util::FutureExt::now_or_never(async {
/// let store = MemoryStore::new();
/// let now = datetime!(2030-01-01 0:00 UTC);
/// for _ in 0..5 {
///     let record = Record::new(b"{}".to_vec(), now + time::Duration::HOUR, 1);
///     store.create(&SessionId::generate().unwrap(), &record).await.unwrap();
/// }
/// let (mut seen, mut after) = (0, None);
/// loop {
///     let page = store.scan(after.as_ref(), 2, now).await.unwrap();
///     seen += page.entries.len();
///     match page.next {
///         Some(next) => after = Some(next),
///         None => break,
///     }
/// }
/// assert_eq!(seen, 5);
/// assert_eq!(store.count(now).await.unwrap(), 5);
/// # }).unwrap();
/// # }
/// ```
pub trait Inventory: Store {
    /// The live sessions after `after` (`None`: from the start), about `limit` of them (see
    /// the table above; `limit` is at least 1).
    fn scan(
        &self,
        after: Option<&Cursor>,
        limit: usize,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;

    /// How many sessions are live at `now` (see the table above for what it costs).
    fn count(&self, now: OffsetDateTime) -> impl Future<Output = Result<u64, StoreError>> + Send;
}
