//! SQLite: the persistent embedded store.

use session_core::StoreError;
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::SqlitePool;

use super::{error::store_error, Queries, Settings, SqlStoreBuilder};
use crate::deadline::within;

const QUERIES: Queries = Queries {
    load: "SELECT payload, expires_at, version, user_id FROM http_sessions \
           WHERE id = ? AND expires_at > ?",
    insert: "INSERT INTO http_sessions (id, payload, expires_at, version, user_id) \
             VALUES (?, ?, ?, ?, ?)",
    update: "UPDATE http_sessions SET payload = ?, expires_at = ?, version = ?, user_id = ? \
             WHERE id = ? AND version = ?",
    user_sessions: "SELECT id, payload, expires_at, version FROM http_sessions \
                    WHERE user_id = ? AND expires_at > ?",
    delete_user: "DELETE FROM http_sessions WHERE user_id = ? AND id <> ?",
    version_of: "SELECT version FROM http_sessions WHERE id = ?",
    touch: "UPDATE http_sessions SET expires_at = ? WHERE id = ?",
    delete: "DELETE FROM http_sessions WHERE id = ?",
    // SQLite has DELETE ... LIMIT only when built with an option; the subquery always works.
    delete_expired: "DELETE FROM http_sessions WHERE id IN \
                     (SELECT id FROM http_sessions WHERE expires_at <= ? LIMIT ?)",
    scan: "SELECT id, payload, expires_at, version, user_id FROM http_sessions \
           WHERE id > ? AND expires_at > ? ORDER BY id LIMIT ?",
    count: "SELECT COUNT(*) FROM http_sessions WHERE expires_at > ?",
};

/// Sessions in a SQLite file (feature `sqlite`). See [the module](crate::sql) for the table
/// and the statements. Cloning shares the pool.
///
/// ```no_run
/// use session_stores::SqliteStore;
/// # async fn run() -> Result<(), session_core::StoreError> {
/// let store = SqliteStore::connect("sqlite://sessions.db").await?;
/// store.migrate().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    settings: Settings,
}

super::store_impl::sql_store!(
    SqliteStore,
    SqlitePool,
    QUERIES,
    "sqlite://sessions.db",
    "sqlite"
);

const MIGRATIONS: [&str; 2] = [
    include_str!("../../migrations/sqlite/0001_create_http_sessions.sql"),
    include_str!("../../migrations/sqlite/0002_user_index.sql"),
];

impl SqliteStore {
    async fn run_migrations(&self) -> Result<(), StoreError> {
        super::migrator(&MIGRATIONS)
            .run(&self.pool)
            .await
            .map_err(super::migrate_error)
    }
}

impl SqlStoreBuilder<SqliteStore> {
    /// Opens the pool, creating the file if it is missing. Use a file: each connection to
    /// `sqlite::memory:` would see its own empty database.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), session_core::StoreError> {
    /// let store = session_stores::SqliteStore::builder("sqlite://sessions.db")
    ///     .connect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(self) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(&self.url)
            .map_err(store_error)?
            .create_if_missing(true)
            // Readers do not wait for the writer, and a writer waits (up to the timeout)
            // for another instead of failing at once.
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(self.settings.timeout);
        let pool = within(self.settings.timeout, async {
            self.pool_options()
                .connect_with(options)
                .await
                .map_err(store_error)
        })
        .await?;
        Ok(SqliteStore {
            pool,
            settings: self.settings,
        })
    }
}
