//! PostgreSQL.

use session_core::StoreError;
use sqlx::PgPool;

use super::{error::store_error, Queries, Settings, SqlStoreBuilder};
use crate::deadline::within;

const QUERIES: Queries = Queries {
    load: "SELECT payload, expires_at, version, user_id FROM http_sessions \
           WHERE id = $1 AND expires_at > $2",
    insert: "INSERT INTO http_sessions (id, payload, expires_at, version, user_id) \
             VALUES ($1, $2, $3, $4, $5)",
    update: "UPDATE http_sessions SET payload = $1, expires_at = $2, version = $3, user_id = $4 \
             WHERE id = $5 AND version = $6",
    user_sessions: "SELECT id, payload, expires_at, version FROM http_sessions \
                    WHERE user_id = $1 AND expires_at > $2",
    delete_user: "DELETE FROM http_sessions WHERE user_id = $1 AND id <> $2",
    version_of: "SELECT version FROM http_sessions WHERE id = $1",
    touch: "UPDATE http_sessions SET expires_at = $1 WHERE id = $2",
    delete: "DELETE FROM http_sessions WHERE id = $1",
    // PostgreSQL has no DELETE ... LIMIT; the subquery bounds the batch.
    delete_expired: "DELETE FROM http_sessions WHERE id IN \
                     (SELECT id FROM http_sessions WHERE expires_at <= $1 LIMIT $2)",
    scan: "SELECT id, payload, expires_at, version, user_id FROM http_sessions \
           WHERE id > $1 AND expires_at > $2 ORDER BY id LIMIT $3",
    count: "SELECT COUNT(*) FROM http_sessions WHERE expires_at > $1",
};

/// Sessions in PostgreSQL (feature `postgres`). See [the module](crate::sql) for the table
/// and the statements. Cloning shares the pool.
///
/// ```no_run
/// use session_stores::PostgresStore;
/// # async fn run() -> Result<(), session_core::StoreError> {
/// let store = PostgresStore::connect("postgres://postgres@127.0.0.1/app").await?;
/// store.migrate().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct PostgresStore {
    // Read by `ConnectPgStore::new`, which takes the pool and the settings over, and by
    // `CachedStore::postgres`, which listens through the pool.
    pub(crate) pool: PgPool,
    pub(crate) settings: Settings,
}

super::store_impl::sql_store!(
    PostgresStore,
    PgPool,
    QUERIES,
    "postgres://127.0.0.1/app",
    "postgres"
);

const MIGRATIONS: [&str; 2] = [
    include_str!("../../migrations/postgres/0001_create_http_sessions.sql"),
    include_str!("../../migrations/postgres/0002_user_index.sql"),
];

impl PostgresStore {
    async fn run_migrations(&self) -> Result<(), StoreError> {
        super::migrator(&MIGRATIONS)
            .run(&self.pool)
            .await
            .map_err(super::migrate_error)
    }
}

impl SqlStoreBuilder<PostgresStore> {
    /// Opens the pool (and one connection, so a wrong URL fails here).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), session_core::StoreError> {
    /// let store = session_stores::PostgresStore::builder("postgres://127.0.0.1/app")
    ///     .connect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(self) -> Result<PostgresStore, StoreError> {
        let pool = within(self.settings.timeout, async {
            self.pool_options()
                .connect(&self.url)
                .await
                .map_err(store_error)
        })
        .await?;
        Ok(PostgresStore {
            pool,
            settings: self.settings,
        })
    }
}
