//! MySQL and MariaDB.

use session_core::StoreError;
use sqlx::MySqlPool;

use super::{error::store_error, Queries, Settings, SqlStoreBuilder};
use crate::deadline::within;

// Ids and user ids are compared as binary strings: exactly, whatever the columns' collation
// (MySQL's and MariaDB's `_bin` collations still take "ann" and "ann " for equal), and with
// the columns' indexes.
const QUERIES: Queries = Queries {
    load: "SELECT payload, expires_at, version, user_id FROM http_sessions \
           WHERE id = CAST(? AS BINARY) AND expires_at > ?",
    insert: "INSERT INTO http_sessions (id, payload, expires_at, version, user_id) \
             VALUES (?, ?, ?, ?, ?)",
    update: "UPDATE http_sessions SET payload = ?, expires_at = ?, version = ?, user_id = ? \
             WHERE id = CAST(? AS BINARY) AND version = ?",
    user_sessions: "SELECT id, payload, expires_at, version FROM http_sessions \
                    WHERE user_id = CAST(? AS BINARY) AND expires_at > ?",
    delete_user: "DELETE FROM http_sessions \
                  WHERE user_id = CAST(? AS BINARY) AND id <> CAST(? AS BINARY)",
    version_of: "SELECT version FROM http_sessions WHERE id = CAST(? AS BINARY)",
    touch: "UPDATE http_sessions SET expires_at = ? WHERE id = CAST(? AS BINARY)",
    delete: "DELETE FROM http_sessions WHERE id = CAST(? AS BINARY)",
    // MySQL allows no LIMIT in an IN subquery, but has DELETE ... LIMIT.
    delete_expired: "DELETE FROM http_sessions WHERE expires_at <= ? ORDER BY expires_at LIMIT ?",
    scan: "SELECT id, payload, expires_at, version, user_id FROM http_sessions \
           WHERE id > CAST(? AS BINARY) AND expires_at > ? ORDER BY id LIMIT ?",
    count: "SELECT COUNT(*) FROM http_sessions WHERE expires_at > ?",
};

/// Sessions in MySQL or MariaDB (feature `mysql`). See [the module](crate::sql) for the table
/// and the statements. Cloning shares the pool.
///
/// ```no_run
/// use session_stores::MySqlStore;
/// # async fn run() -> Result<(), session_core::StoreError> {
/// let store = MySqlStore::connect("mysql://root@127.0.0.1/app").await?;
/// store.migrate().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct MySqlStore {
    pool: MySqlPool,
    settings: Settings,
}

super::store_impl::sql_store!(
    MySqlStore,
    MySqlPool,
    QUERIES,
    "mysql://127.0.0.1/app",
    "mysql"
);

const MIGRATIONS: [&str; 3] = [
    include_str!("../../migrations/mysql/0001_create_http_sessions.sql"),
    include_str!("../../migrations/mysql/0002_user_index.sql"),
    include_str!("../../migrations/mysql/0003_exact_user_ids.sql"),
];

impl MySqlStore {
    async fn run_migrations(&self) -> Result<(), StoreError> {
        // sqlx's own migration lock does not hold on MariaDB (it ignores the result of
        // `GET_LOCK(.., -1)`), so concurrent start-ups could see each other's half-applied
        // migration. Take a named lock with a real timeout on one connection and migrate
        // on that same connection.
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        let wait = i64::try_from(self.settings.timeout.as_secs().max(1) * 30).unwrap_or(60);
        let (locked,): (Option<i64>,) =
            sqlx::query_as("SELECT GET_LOCK('session_stores_migrate', ?)")
                .bind(wait)
                .fetch_one(&mut *conn)
                .await
                .map_err(store_error)?;
        if locked != Some(1) {
            return Err(StoreError::new(
                session_core::StoreErrorKind::Timeout,
                "another process held the session migration lock too long",
            ));
        }
        let mut migrator = super::migrator(&MIGRATIONS);
        migrator.set_locking(false);
        let result = migrator.run(&mut *conn).await.map_err(super::migrate_error);
        let released = sqlx::query("SELECT RELEASE_LOCK('session_stores_migrate')")
            .execute(&mut *conn)
            .await
            .map_err(store_error);
        result.and(released.map(drop))
    }
}

impl SqlStoreBuilder<MySqlStore> {
    /// Opens the pool (and one connection, so a wrong URL fails here).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), session_core::StoreError> {
    /// let store = session_stores::MySqlStore::builder("mysql://127.0.0.1/app")
    ///     .connect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(self) -> Result<MySqlStore, StoreError> {
        let pool = within(self.settings.timeout, async {
            self.pool_options()
                .connect(&self.url)
                .await
                .map_err(store_error)
        })
        .await?;
        Ok(MySqlStore {
            pool,
            settings: self.settings,
        })
    }
}
