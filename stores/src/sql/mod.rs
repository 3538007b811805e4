//! Sessions in SQL databases through `sqlx`: PostgreSQL, MySQL/MariaDB and SQLite.
//!
//! Each store keeps one table, `http_sessions (id, payload, expires_at, version, user_id)`,
//! with `expires_at` in Unix milliseconds and indexed, and `user_id` (the user index:
//! `Record::user`, nullable) indexed. The crate ships the migrations that create
//! it (`stores/migrations/<database>/`); call `migrate()` once at start-up to apply them.
//! They are tracked in their own table, `_session_store_migrations`, so they never mix with
//! your application's own `sqlx` migrations.
//!
//! - `load` is one `SELECT ... WHERE id = ? AND expires_at > now`: an expired row never
//!   loads, whether or not the cleanup has run.
//! - `create` is one `INSERT`; a unique violation is [`StoreErrorKind::DuplicateId`]. An
//!   expired row that the cleanup has not deleted yet still holds its id (the store is not
//!   told the time on `create`); with 256-bit random ids that only matters to a caller that
//!   reuses ids on purpose.
//! - `save` is `UPDATE ... WHERE id = ? AND version = ?`; only when no row changed does a
//!   second query tell [`StoreErrorKind::Conflict`] from [`StoreErrorKind::NotFound`].
//! - [`cleanup`] deletes expired rows in bounded batches, on demand or on a timer.
//! - [`crate::Inventory`]: `scan` is keyset pagination on the primary key (`SELECT ... WHERE
//!   id > last AND expires_at > now ORDER BY id LIMIT n`), `count` a `SELECT COUNT(*) ...
//!   WHERE expires_at > now` on the expiry index.
//!
//! Every operation gives up after the configured timeout (default 2 s).
//!
//! `ConnectPgStore` (feature `postgres`) uses a `PostgresStore`'s pool with connect-pg-simple's
//! table instead, to share sessions with express-session.

pub mod cleanup;
#[cfg(feature = "postgres")]
mod connect_pg;
mod error;
mod store_impl;

#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::borrow::Cow;
use std::marker::PhantomData;
use std::time::Duration;

#[cfg(feature = "postgres")]
pub use connect_pg::ConnectPgStore;
#[cfg(feature = "mysql")]
pub use mysql::MySqlStore;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
use session_core::StoreErrorKind;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

use crate::deadline::DEFAULT_TIMEOUT;

/// The table that records which of this crate's migrations a database has.
const MIGRATIONS_TABLE: &str = "_session_store_migrations";

/// Rows the cleanup deletes per statement unless told otherwise.
const DEFAULT_CLEANUP_BATCH: u32 = 1000;

/// A pooled connection idle this long is pinged before use.
const PING_IDLE_AFTER: Duration = Duration::from_secs(5);

/// What every SQL store keeps besides its pool.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub(crate) timeout: Duration,
    cleanup_batch: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            cleanup_batch: DEFAULT_CLEANUP_BATCH,
        }
    }
}

/// The statements one dialect needs; binds are always in the order written in each comment.
struct Queries {
    /// id, now → (payload, expires_at, version, user_id)
    load: &'static str,
    /// id, payload, expires_at, version, user_id
    insert: &'static str,
    /// payload, expires_at, version, user_id, id, expected version
    update: &'static str,
    /// user_id, now → (id, payload, expires_at, version)
    user_sessions: &'static str,
    /// user_id, id to keep (`''` for none: no id is empty)
    delete_user: &'static str,
    /// id → (version)
    version_of: &'static str,
    /// expires_at, id
    touch: &'static str,
    /// id
    delete: &'static str,
    /// now, batch size
    delete_expired: &'static str,
    /// id after (`''` for the first page: no id is empty), now, limit →
    /// (id, payload, expires_at, version, user_id), by id
    scan: &'static str,
    /// now → (count)
    count: &'static str,
}

/// Configures a SQL store `S` ([`PostgresStore`], [`MySqlStore`] or [`SqliteStore`]); its
/// `connect` opens the pool.
#[must_use]
pub struct SqlStoreBuilder<S> {
    url: String,
    settings: Settings,
    max_connections: u32,
    store: PhantomData<fn() -> S>,
}

impl<S> std::fmt::Debug for SqlStoreBuilder<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password.
        f.debug_struct("SqlStoreBuilder")
            .field("settings", &self.settings)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

impl<S> SqlStoreBuilder<S> {
    fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            settings: Settings::default(),
            max_connections: 10,
            store: PhantomData,
        }
    }

    /// How long one operation (including waiting for a connection) may take before it fails
    /// with [`StoreErrorKind::Timeout`]. Default: 2 s.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// use std::time::Duration;
    /// let builder = session_stores::SqliteStore::builder("sqlite://sessions.db")
    ///     .timeout(Duration::from_millis(500));
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// Most connections the pool opens. Default: 10.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// let builder = session_stores::SqliteStore::builder("sqlite://sessions.db").max_connections(4);
    /// # }
    /// ```
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// Most rows one cleanup statement deletes, so that a cleanup never holds long locks.
    /// Default: 1000.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// let builder = session_stores::SqliteStore::builder("sqlite://sessions.db").cleanup_batch(500);
    /// # }
    /// ```
    pub fn cleanup_batch(mut self, rows: u32) -> Self {
        self.settings.cleanup_batch = rows.max(1);
        self
    }

    fn pool_options<DB: sqlx::Database>(&self) -> sqlx::pool::PoolOptions<DB> {
        sqlx::pool::PoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(self.settings.timeout)
            // sqlx pings every connection it hands out by default: one more round trip per
            // operation. Ping only connections that sat idle long enough to have been cut;
            // a busy pool's connections are proven by the last query.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IDLE_AFTER {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
    }
}

/// The crate's migrations for one database (`0001_create_http_sessions.sql`,
/// `0002_user_index.sql`, and for MySQL `0003_exact_user_ids.sql`), tracked in their own
/// table.
fn migrator(sql: &[&'static str]) -> sqlx::migrate::Migrator {
    let names = ["create http_sessions", "user index", "exact user ids"];
    let migrations = (1..)
        .zip(names)
        .zip(sql.iter().copied())
        .map(|((version, name), sql)| {
            sqlx::migrate::Migration::new(
                version,
                Cow::Borrowed(name),
                sqlx::migrate::MigrationType::Simple,
                sqlx::SqlSafeStr::into_sql_str(sql),
                false,
            )
        });
    let mut migrator = sqlx::migrate::Migrator::with_migrations(migrations.collect());
    migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
    migrator
}

fn migrate_error(err: sqlx::migrate::MigrateError) -> session_core::StoreError {
    match err {
        sqlx::migrate::MigrateError::Execute(e)
        | sqlx::migrate::MigrateError::ExecuteMigration(e, _) => error::store_error(e),
        other => session_core::StoreError::new(StoreErrorKind::Backend, other),
    }
}
