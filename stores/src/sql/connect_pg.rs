//! Sessions laid out exactly as connect-pg-simple (express-session's PostgreSQL store) keeps
//! them, so a Rust service and a Node service can share one table.

use std::sync::Arc;

use session_core::{unix_millis, Record, SessionId, Store, StoreError, StoreErrorKind};
use sqlx::{AssertSqlSafe, PgPool};
use time::OffsetDateTime;

use super::error::store_error;
use super::{PostgresStore, Settings};
use crate::deadline::within;

/// The table connect-pg-simple uses unless told otherwise (its `tableName` option).
const DEFAULT_TABLE: &str = "session";

/// The zone `expire` is written in unless told otherwise (see [`ConnectPgStore::time_zone`]).
const DEFAULT_TIME_ZONE: &str = "UTC";

/// A [`PostgresStore`]'s pool speaking connect-pg-simple's layout (version 10): one table,
/// `session` by default, with
///
/// ```sql
/// "sid"    varchar NOT NULL COLLATE "default" PRIMARY KEY,  -- the session id
/// "sess"   json NOT NULL,                                   -- the codec's JSON, as is
/// "expire" timestamp(6) NOT NULL                            -- indexed ("IDX_session_expire")
/// ```
///
/// Pair it with [`crate::ExpressCodec`] (feature `express`) and express-session with
/// connect-pg-simple and this service read and write the same sessions. The payload must be
/// JSON text (any [`session_core::Codec`] writing JSON will do); it is stored in `sess`
/// unchanged and loaded back byte for byte (PostgreSQL's `json` keeps the text as given).
///
/// What connect-pg-simple does, and what this store does alike:
/// - `load` reads a row only while `expire` is later than `now` (connect-pg-simple's `get`:
///   `expire >= to_timestamp(now)`, `now` in whole seconds rounded up). The record's expiry is
///   `expire`, never the `cookie.expires` inside `sess`: a Node `touch` moves `expire` alone.
/// - `create` inserts; `save` replaces `sess` and `expire` (connect-pg-simple's `set` is an
///   upsert, `INSERT ... ON CONFLICT (sid) DO UPDATE SET sess, expire`).
/// - `touch` is `UPDATE ... SET expire` alone, like connect-pg-simple's `touch` (which runs
///   whenever express-session touches an unmodified session, unless `disableTouch`).
/// - Node derives `expire` from `sess.cookie.expires`, rounded **up** to a whole second, or,
///   for a cookie without an expiry, from its clock plus the store's `ttl` (default one
///   day). This store writes the record's `expires_at` to the millisecond.
/// - [`ConnectPgStore::delete_expired`] prunes like connect-pg-simple's `pruneSessions`
///   (`DELETE ... WHERE expire < now`), in bounded batches; [`crate::sql::cleanup`] runs it
///   on a timer. One pruner is enough: turn one side's off (connect-pg-simple's
///   `pruneSessionInterval: false`) or keep both, they do not conflict.
///
/// **Compare-and-set.** The table has no version column, so a record's version is the first
/// 64 bits of the SHA-256 of the `sess` text, computed by PostgreSQL (`sha256`, built in
/// since PostgreSQL 11, no extension needed): `load` selects it beside the row, and `save` is
/// one `UPDATE ... WHERE sid = $1 AND substr(sha256(sess), 1, 8) = $expected`, which
/// PostgreSQL re-checks against the newest row after waiting for a concurrent writer (at the
/// default isolation, read committed; a server defaulting to a stricter one fails the loser
/// with a serialization error, [`StoreErrorKind::Backend`], instead). So a save fails with
/// [`StoreErrorKind::Conflict`] whenever anyone, Rust or Node, changed the session since it
/// was loaded, and it costs one statement: no transaction, no `SELECT ... FOR UPDATE`.
/// (connect-redis' layout uses SHA-1 because Redis' Lua has it; PostgreSQL has SHA-1 only
/// through pgcrypto. A version is only ever compared with versions this store computed, so
/// the digest need not be the same.) A write of the same text, or a Node `touch`, leaves the
/// version as it was. On a table whose `sess` was changed to `jsonb` everything still works,
/// but the payload loads in `jsonb`'s normalised form.
///
/// **Time zone.** `expire` is a `timestamp` *without* time zone. connect-pg-simple writes
/// `to_timestamp(seconds)`, which PostgreSQL stores as the wall-clock time in the
/// connection's `TimeZone`; node-postgres sets none, so that is the server's (or the
/// database's, or the role's) default. This store's connections are always in UTC (sqlx sets
/// `TimeZone` to UTC), and it reads and writes `expire` as wall-clock time in the zone set
/// with [`ConnectPgStore::time_zone`], UTC by default: right for every server whose
/// `TimeZone` is UTC (the usual default of container images and managed services). For a
/// server configured with another zone, give that zone here (or make Node's connections UTC
/// with `ALTER DATABASE ... SET timezone TO 'UTC'`), or the two sides disagree on every
/// expiry by the zone's offset.
///
/// The user index is not available in this layout (connect-pg-simple has none):
/// [`Store::user_sessions`] and [`Store::delete_user_sessions`] fail with
/// [`StoreErrorKind::Unsupported`], and a record's `user` is not stored.
///
/// Every operation gives up after the [`PostgresStore`]'s timeout with
/// [`StoreErrorKind::Timeout`]; errors are classified as the native store's are. Cloning
/// shares the pool.
///
/// ```no_run
/// use session_stores::{ConnectPgStore, PostgresStore};
/// # async fn run() -> Result<(), session_core::StoreError> {
/// let store = ConnectPgStore::new(PostgresStore::connect("postgres://127.0.0.1/app").await?);
/// store.create_table().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ConnectPgStore {
    pool: PgPool,
    settings: Settings,
    schema: Option<String>,
    table: String,
    time_zone: Arc<str>,
    sql: Arc<Statements>,
}

impl ConnectPgStore {
    /// Uses `store`'s pool, timeout and cleanup batch with connect-pg-simple's layout, in
    /// table `session` of the connection's `search_path` (connect-pg-simple's defaults).
    ///
    /// ```no_run
    /// use session_stores::{ConnectPgStore, PostgresStore};
    /// # async fn run() -> Result<(), session_core::StoreError> {
    /// let native = PostgresStore::builder("postgres://127.0.0.1/app")
    ///     .timeout(std::time::Duration::from_millis(500))
    ///     .connect()
    ///     .await?;
    /// let store = ConnectPgStore::new(native);
    /// # Ok(()) }
    /// ```
    pub fn new(store: PostgresStore) -> Self {
        let table = DEFAULT_TABLE.to_owned();
        Self {
            sql: Arc::new(Statements::new(None, &table)),
            pool: store.pool,
            settings: store.settings,
            schema: None,
            table,
            time_zone: Arc::from(DEFAULT_TIME_ZONE),
        }
    }

    /// The table's name: connect-pg-simple's `tableName` option (default `session`). The name
    /// is quoted, so it is taken exactly as written (case included); give a schema with
    /// [`ConnectPgStore::schema_name`], not as `schema.table`.
    ///
    /// ```no_run
    /// # async fn run(native: session_stores::PostgresStore) {
    /// let store = session_stores::ConnectPgStore::new(native).table_name("user_sessions");
    /// # }
    /// ```
    #[must_use]
    pub fn table_name(mut self, table: &str) -> Self {
        table.clone_into(&mut self.table);
        self.sql = Arc::new(Statements::new(self.schema.as_deref(), &self.table));
        self
    }

    /// The table's schema: connect-pg-simple's `schemaName` option (default: none, so the
    /// connection's `search_path` decides). Quoted, so taken exactly as written. The schema
    /// must exist; [`ConnectPgStore::create_table`] does not create it.
    ///
    /// ```no_run
    /// # async fn run(native: session_stores::PostgresStore) {
    /// let store = session_stores::ConnectPgStore::new(native).schema_name("auth");
    /// # }
    /// ```
    #[must_use]
    pub fn schema_name(mut self, schema: &str) -> Self {
        self.schema = Some(schema.to_owned());
        self.sql = Arc::new(Statements::new(self.schema.as_deref(), &self.table));
        self
    }

    /// The time zone whose wall-clock time `expire` holds: the `TimeZone` of the Node side's
    /// connections, which is the server's default unless the database or role sets another
    /// (`SHOW timezone` from `psql` tells). Default: `UTC`. Any name PostgreSQL knows
    /// (`Europe/Berlin`, `America/New_York`); an unknown one makes every operation fail with
    /// [`StoreErrorKind::Backend`].
    ///
    /// ```no_run
    /// # async fn run(native: session_stores::PostgresStore) {
    /// let store = session_stores::ConnectPgStore::new(native).time_zone("Europe/Berlin");
    /// # }
    /// ```
    #[must_use]
    pub fn time_zone(mut self, zone: &str) -> Self {
        self.time_zone = Arc::from(zone);
        self
    }

    /// Creates the table and its expiry index when the table is missing, with
    /// connect-pg-simple's `table.sql` (what its `createTableIfMissing` runs): for the default
    /// table, the same columns, primary key `session_pkey` and index `IDX_session_expire`.
    /// For another table name the key and index are named after it (`<table>_pkey`,
    /// `IDX_<table>_expire`), where connect-pg-simple would reuse the names above and fail
    /// when a `session` table already has them. A table that exists is left as it is.
    ///
    /// Safe to call on every start-up and from several processes at once (the check and the
    /// creation run in one transaction under an advisory lock). The schema must exist.
    ///
    /// ```no_run
    /// # async fn run(store: session_stores::ConnectPgStore) -> Result<(), session_core::StoreError> {
    /// store.create_table().await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_table(&self) -> Result<(), StoreError> {
        let statements = &self.sql;
        within(self.settings.timeout, async {
            let mut tx = self.pool.begin().await.map_err(store_error)?;
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext('connect-pg-simple ' || $1))")
                .bind(statements.qualified.as_str())
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
            let found: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
                .bind(statements.qualified.as_str())
                .fetch_one(&mut *tx)
                .await
                .map_err(store_error)?;
            if found.is_none() {
                for ddl in [&statements.create_table, &statements.create_index] {
                    sqlx::query(sql(ddl))
                        .execute(&mut *tx)
                        .await
                        .map_err(store_error)?;
                }
            }
            tx.commit().await.map_err(store_error)
        })
        .await
    }

    /// Deletes every row expired at `now` (`expire <= now`), in batches of the
    /// [`PostgresStore`]'s cleanup batch size (each its own statement, under the timeout);
    /// returns how many rows went. This is connect-pg-simple's `pruneSessions`; run it from
    /// your own scheduler, or let [`crate::sql::cleanup::spawn_cleanup`] (feature `tokio`)
    /// run it through [`crate::sql::cleanup::Cleanup`].
    ///
    /// ```no_run
    /// # async fn run(store: session_stores::ConnectPgStore, now: time::OffsetDateTime) -> Result<(), session_core::StoreError> {
    /// let removed = store.delete_expired(now).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_expired(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let batch = self.settings.cleanup_batch;
        let mut total = 0;
        loop {
            let done = within(self.settings.timeout, async {
                sqlx::query(sql(&self.sql.delete_expired))
                    .bind(unix_millis(now))
                    .bind(&*self.time_zone)
                    .bind(i64::from(batch))
                    .execute(&self.pool)
                    .await
                    .map_err(store_error)
            })
            .await?
            .rows_affected();
            total += done;
            if done < u64::from(batch) {
                return Ok(total);
            }
        }
    }

    /// The connection pool, for sharing it with the rest of the application.
    ///
    /// ```no_run
    /// # fn run(store: session_stores::ConnectPgStore) {
    /// let pool = store.pool().clone();
    /// # }
    /// ```
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// The statements for one table, its name quoted in.
#[derive(Debug)]
struct Statements {
    /// `"schema"."table"` or `"table"`, for `to_regclass` and the advisory lock.
    qualified: String,
    /// sid, now (Unix ms), zone → (sess, expire (Unix ms), version (8 bytes))
    load: Arc<str>,
    /// sid, sess, expire (Unix ms), zone
    insert: Arc<str>,
    /// sess, expire (Unix ms), zone, sid, expected version (8 bytes)
    update: Arc<str>,
    /// sid → (1)
    exists: Arc<str>,
    /// expire (Unix ms), zone, sid
    touch: Arc<str>,
    /// sid
    delete: Arc<str>,
    /// now (Unix ms), zone, batch size
    delete_expired: Arc<str>,
    /// sid after (`''` for the first page), now (Unix ms), zone, limit →
    /// (sid, sess, expire (Unix ms), version (8 bytes)), by sid
    scan: Arc<str>,
    /// now (Unix ms), zone → (count)
    count: Arc<str>,
    create_table: Arc<str>,
    create_index: Arc<str>,
}

/// A quoted identifier, as connect-pg-simple quotes its names (`"` doubled).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The first 8 bytes of the SHA-256 of the `sess` text: a record's version.
const VERSION: &str = "substr(sha256(convert_to(sess::text, 'UTF8')), 1, 8)";

/// Unix milliseconds (`$n`) as `expire`'s wall-clock time in the zone `$z`.
fn wall_clock(ms: u8, zone: u8) -> String {
    format!("timezone(${zone}, to_timestamp(${ms}::float8 / 1000))")
}

impl Statements {
    fn new(schema: Option<&str>, table: &str) -> Self {
        let t = match schema {
            Some(schema) => format!("{}.{}", quoted(schema), quoted(table)),
            None => quoted(table),
        };
        let pkey = quoted(&format!("{table}_pkey"));
        let index = quoted(&format!("IDX_{table}_expire"));
        let at = |ms, zone| wall_clock(ms, zone);
        Self {
            load: format!(
                "SELECT sess::text, \
                 floor(extract(epoch FROM timezone($3, expire)) * 1000)::int8, {VERSION} \
                 FROM {t} WHERE sid = $1 AND expire > {}",
                at(2, 3)
            )
            .into(),
            insert: format!(
                "INSERT INTO {t} (sid, sess, expire) VALUES ($1, $2::json, {})",
                at(3, 4)
            )
            .into(),
            update: format!(
                "UPDATE {t} SET sess = $1::json, expire = {} WHERE sid = $4 AND {VERSION} = $5",
                at(2, 3)
            )
            .into(),
            exists: format!("SELECT 1 FROM {t} WHERE sid = $1").into(),
            touch: format!("UPDATE {t} SET expire = {} WHERE sid = $3", at(1, 2)).into(),
            delete: format!("DELETE FROM {t} WHERE sid = $1").into(),
            // PostgreSQL has no DELETE ... LIMIT; the subquery bounds the batch.
            delete_expired: format!(
                "DELETE FROM {t} WHERE sid IN (SELECT sid FROM {t} WHERE expire <= {} LIMIT $3)",
                at(1, 2)
            )
            .into(),
            scan: format!(
                "SELECT sid, sess::text, \
                 floor(extract(epoch FROM timezone($3, expire)) * 1000)::int8, {VERSION} \
                 FROM {t} WHERE sid > $1 AND expire > {} ORDER BY sid LIMIT $4",
                at(2, 3)
            )
            .into(),
            count: format!("SELECT COUNT(*) FROM {t} WHERE expire > {}", at(1, 2)).into(),
            create_table: format!(
                "CREATE TABLE IF NOT EXISTS {t} (\
                 \"sid\" varchar NOT NULL COLLATE \"default\", \
                 \"sess\" json NOT NULL, \
                 \"expire\" timestamp(6) NOT NULL, \
                 CONSTRAINT {pkey} PRIMARY KEY (\"sid\") NOT DEFERRABLE INITIALLY IMMEDIATE)"
            )
            .into(),
            create_index: format!("CREATE INDEX IF NOT EXISTS {index} ON {t} (\"expire\")").into(),
            qualified: t,
        }
    }
}

/// A statement for `sqlx::query`: a reference count, no copy. Only the table's and the
/// schema's names are formatted in, quoted; every value is bound.
fn sql(statement: &Arc<str>) -> AssertSqlSafe<Arc<str>> {
    AssertSqlSafe(Arc::clone(statement))
}

/// The record's JSON as text for the `json` column.
fn json_text(record: &Record) -> Result<&str, StoreError> {
    std::str::from_utf8(&record.payload).map_err(|e| StoreError::new(StoreErrorKind::Backend, e))
}

/// A version selected by `load` back as a number.
fn version_of(digest: &[u8]) -> Result<u64, StoreError> {
    let bytes: [u8; 8] = digest
        .try_into()
        .map_err(|_| StoreError::new(StoreErrorKind::Corrupt, "a version is 8 bytes"))?;
    Ok(u64::from_be_bytes(bytes))
}

impl Store for ConnectPgStore {
    fn backend_name(&self) -> &'static str {
        "connect-pg-simple"
    }

    async fn load(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Result<Option<Record>, StoreError> {
        let row = within(self.settings.timeout, async {
            sqlx::query_as::<_, (String, i64, Vec<u8>)>(sql(&self.sql.load))
                .bind(id.as_str())
                .bind(unix_millis(now))
                .bind(&*self.time_zone)
                .fetch_optional(&self.pool)
                .await
                .map_err(store_error)
        })
        .await?;
        let Some((sess, expire_ms, digest)) = row else {
            return Ok(None);
        };
        Ok(Some(Record::new(
            sess.into_bytes(),
            session_core::from_unix_millis(expire_ms),
            version_of(&digest)?,
        )))
    }

    async fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        let sess = json_text(record)?;
        within(self.settings.timeout, async {
            sqlx::query(sql(&self.sql.insert))
                .bind(id.as_str())
                .bind(sess)
                .bind(unix_millis(record.expires_at))
                .bind(&*self.time_zone)
                .execute(&self.pool)
                .await
                .map_err(store_error)
        })
        .await?;
        Ok(())
    }

    async fn save(
        &self,
        id: &SessionId,
        record: &Record,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let sess = json_text(record)?;
        within(self.settings.timeout, async {
            let changed = sqlx::query(sql(&self.sql.update))
                .bind(sess)
                .bind(unix_millis(record.expires_at))
                .bind(&*self.time_zone)
                .bind(id.as_str())
                .bind(expected_version.to_be_bytes().as_slice())
                .execute(&self.pool)
                .await
                .map_err(store_error)?
                .rows_affected();
            if changed > 0 {
                return Ok(());
            }
            // Rare: only a lost race or a vanished session pays for this query.
            let found = sqlx::query_scalar::<_, i32>(sql(&self.sql.exists))
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(store_error)?;
            Err(match found {
                Some(_) => StoreError::conflict(),
                None => StoreError::not_found(),
            })
        })
        .await
    }

    async fn touch(&self, id: &SessionId, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        within(self.settings.timeout, async {
            sqlx::query(sql(&self.sql.touch))
                .bind(unix_millis(expires_at))
                .bind(&*self.time_zone)
                .bind(id.as_str())
                .execute(&self.pool)
                .await
                .map_err(store_error)
        })
        .await?;
        Ok(())
    }

    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        within(self.settings.timeout, async {
            sqlx::query(sql(&self.sql.delete))
                .bind(id.as_str())
                .execute(&self.pool)
                .await
                .map_err(store_error)
        })
        .await?;
        Ok(())
    }
}

/// Keyset pagination on `sid` (the primary key) and `COUNT(*)` on the expiry index, as the
/// native SQL stores do (see [`crate::Inventory`]); a row whose `sid` is empty is skipped.
impl crate::Inventory for ConnectPgStore {
    async fn scan(
        &self,
        after: Option<&crate::Cursor>,
        limit: usize,
        now: OffsetDateTime,
    ) -> Result<crate::Page, StoreError> {
        let limit = limit.max(1);
        let rows = within(self.settings.timeout, async {
            sqlx::query_as::<_, (String, String, i64, Vec<u8>)>(sql(&self.sql.scan))
                .bind(after.map_or("", crate::Cursor::as_str))
                .bind(unix_millis(now))
                .bind(&*self.time_zone)
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
                .await
                .map_err(store_error)
        })
        .await?;
        let full = rows.len() >= limit;
        let last = rows.last().map(|row| crate::Cursor::new(row.0.clone()));
        let mut entries = Vec::with_capacity(rows.len());
        for (sid, sess, expire_ms, digest) in rows {
            let Some(id) = SessionId::parse(&sid) else {
                continue;
            };
            let record = Record::new(
                sess.into_bytes(),
                session_core::from_unix_millis(expire_ms),
                version_of(&digest)?,
            );
            entries.push((id, record));
        }
        Ok(crate::Page::new(entries, last.filter(|_| full)))
    }

    async fn count(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let count: i64 = within(self.settings.timeout, async {
            sqlx::query_scalar(sql(&self.sql.count))
                .bind(unix_millis(now))
                .bind(&*self.time_zone)
                .fetch_one(&self.pool)
                .await
                .map_err(store_error)
        })
        .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

impl super::cleanup::Cleanup for ConnectPgStore {
    fn delete_expired(
        &self,
        now: OffsetDateTime,
    ) -> impl std::future::Future<Output = Result<u64, StoreError>> + Send {
        ConnectPgStore::delete_expired(self, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_like_connect_pg_simple() {
        let sql = Statements::new(Some("a\"b"), "my \"sessions\"");
        assert_eq!(sql.qualified, r#""a""b"."my ""sessions""""#);
        let default = Statements::new(None, DEFAULT_TABLE);
        assert!(default.create_table.contains(r#""session_pkey""#));
        assert!(default
            .create_index
            .starts_with(r#"CREATE INDEX IF NOT EXISTS "IDX_session_expire" ON "session""#));
    }

    #[test]
    fn versions_are_8_bytes() {
        assert_eq!(version_of(&[0, 0, 0, 0, 0, 0, 1, 2]).ok(), Some(258));
        assert_eq!(
            version_of(&[1, 2, 3]).err().map(|e| e.kind()),
            Some(StoreErrorKind::Corrupt)
        );
    }
}
