//! Sessions in Redis, one node or a cluster.

mod conn;
mod connect_redis;
mod error;
mod inventory;
mod pipelined;
mod record;
mod scripts;
mod users;

use std::sync::Arc;
use std::time::Duration;

use redis::{ConnectionInfo, IntoConnectionInfo};
use session_core::{unix_millis, Record, SessionId, Store, StoreError, StoreErrorKind};
use time::OffsetDateTime;
use tokio::sync::OnceCell;

use crate::deadline::{within, DEFAULT_TIMEOUT};
use conn::Conn;
pub use connect_redis::ConnectRedisStore;
use error::store_error;

/// Sessions in Redis: one string per session under `prefix + id`, expiring through Redis'
/// own TTL (`PXAT`/`PEXPIREAT` at the record's `expires_at`).
///
/// Every operation is one round trip: `load` is a `GET`, `create` a `SET NX PXAT`, `save`
/// and `touch` one `EVALSHA` of a small Lua script (compare-and-set on the version, then the
/// write and the new TTL, atomically), `delete` a `DEL`. The value is a 16-byte header
/// (version, expiry) followed by the payload, so `load` honours `expires_at` against the
/// `now` it is given even when the server's clock disagrees.
///
/// The user index ([`Store::user_sessions`]) keeps a set of ids per user under
/// `prefix + "user:" + user`, written by the same script as the record (a record bound to a
/// user is created by a script too); listing costs an `SMEMBERS` and an `MGET`.
///
/// A single node is reached over one pipelined connection (`redis://` or `redis+unix://`,
/// with the URL's password and database): the commands of all concurrent requests are
/// written together and the replies handed back in order. After the connection breaks, the
/// next operation connects again. After a failed connect, operations fail at once with
/// [`StoreErrorKind::Unavailable`] for a wait that starts at 25 ms and doubles with each
/// further failure up to 1 s, so that an outage costs no timeouts and no storm of connects.
/// A connect still unanswered at an operation's timeout counts as failed too (a server that
/// is slow to accept looks like one that is down); a server that answers with an error (a
/// wrong password, a database it lacks) starts no wait, and its error is returned as is.
/// Every operation gives up after the configured timeout (default 2 s) with
/// [`StoreErrorKind::Timeout`]; a refused or dropped connection is
/// [`StoreErrorKind::Unavailable`].
///
/// Several URLs (the cluster's seed nodes, feature `redis-cluster`) connect to a Redis
/// Cluster through the same type, with redis-rs' cluster connection.
///
/// Cloning shares the connection.
///
/// ```no_run
/// use session_stores::RedisStore;
/// use std::time::Duration;
/// # async fn run() -> Result<(), session_core::StoreError> {
/// let store = RedisStore::builder(["redis://127.0.0.1:6379"])
///     .prefix("myapp:sess:")
///     .timeout(Duration::from_millis(500))
///     .connect()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    /// Filled by `connect`, or on first use after `connect_lazy`.
    conn: Arc<OnceCell<Conn>>,
    target: Arc<Target>,
    prefix: Arc<str>,
    timeout: Duration,
}

/// Configures a [`RedisStore`].
#[derive(Debug, Clone)]
#[must_use]
pub struct RedisStoreBuilder {
    urls: Vec<String>,
    prefix: String,
    timeout: Duration,
    cluster: Option<bool>,
}

impl RedisStoreBuilder {
    /// The prefix of every key. Default: `sess:`.
    ///
    /// ```
    /// let builder = session_stores::RedisStore::builder(["redis://127.0.0.1"]).prefix("app1:");
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long one operation (including connecting) may take before it fails with
    /// [`StoreErrorKind::Timeout`]. Default: 2 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = session_stores::RedisStore::builder(["redis://127.0.0.1"])
    ///     .timeout(Duration::from_millis(300));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Treats the URLs as cluster seed nodes even when there is only one. Default: a
    /// cluster exactly when more than one URL is given.
    ///
    /// ```
    /// let builder = session_stores::RedisStore::builder(["redis://127.0.0.1:7000"]).cluster(true);
    /// ```
    pub fn cluster(mut self, cluster: bool) -> Self {
        self.cluster = Some(cluster);
        self
    }

    /// Connects. Fails with [`StoreErrorKind::Unavailable`] or [`StoreErrorKind::Timeout`]
    /// when the server cannot be reached, [`StoreErrorKind::Backend`] for a bad URL (or for
    /// several URLs without the `redis-cluster` feature).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), session_core::StoreError> {
    /// let store = session_stores::RedisStore::builder(["redis://127.0.0.1"]).connect().await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(self) -> Result<RedisStore, StoreError> {
        let store = self.connect_lazy()?;
        store.conn().await?;
        Ok(store)
    }

    /// Checks the URLs now and connects on first use, on the async runtime that first uses
    /// the store; a failed connect is retried by the first operation after the wait above.
    ///
    /// The connection's IO task lives on that runtime. A server whose workers each run their
    /// own single-threaded runtime (actix-web) should give each worker its own connection
    /// with [`RedisStore::with_own_connection`] in the worker's factory: every command then
    /// stays on the worker's thread instead of waking another thread and waiting to be woken
    /// back.
    ///
    /// ```
    /// let store = session_stores::RedisStore::builder(["redis://127.0.0.1:6379"]).connect_lazy()?;
    /// # Ok::<(), session_core::StoreError>(())
    /// ```
    pub fn connect_lazy(self) -> Result<RedisStore, StoreError> {
        let cluster = self.cluster.unwrap_or(self.urls.len() > 1);
        Ok(RedisStore {
            conn: Arc::new(OnceCell::new()),
            target: Arc::new(Target::new(&self.urls, cluster, self.timeout)?),
            prefix: self.prefix.into(),
            timeout: self.timeout,
        })
    }
}

/// Where to connect: checked when the store is built, connected when first needed.
enum Target {
    Single(ConnectionInfo, Arc<pipelined::Backoff>),
    #[cfg(feature = "redis-cluster")]
    // Boxed: the cluster client is twice the size of the single-node one.
    Cluster(Box<redis::cluster::ClusterClient>),
}

impl Target {
    fn new(urls: &[String], cluster: bool, timeout: Duration) -> Result<Self, StoreError> {
        if cluster {
            return Self::cluster(urls, timeout);
        }
        let [url] = urls else {
            return Err(StoreError::new(
                StoreErrorKind::Backend,
                format!(
                    "a single Redis node needs exactly one URL, got {}",
                    urls.len()
                ),
            ));
        };
        let info = url.as_str().into_connection_info().map_err(store_error)?;
        pipelined::check(&info).map_err(store_error)?;
        Ok(Self::Single(info, Arc::default()))
    }

    #[cfg(feature = "redis-cluster")]
    fn cluster(urls: &[String], timeout: Duration) -> Result<Self, StoreError> {
        let client = redis::cluster::ClusterClient::builder(urls.iter().map(String::as_str))
            .connection_timeout(timeout)
            .response_timeout(timeout)
            .retries(1)
            .build()
            .map_err(store_error)?;
        Ok(Self::Cluster(Box::new(client)))
    }

    #[cfg(not(feature = "redis-cluster"))]
    fn cluster(_: &[String], _: Duration) -> Result<Self, StoreError> {
        Err(StoreError::new(
            StoreErrorKind::Backend,
            "Redis Cluster needs the `redis-cluster` feature of session-stores",
        ))
    }

    async fn connect(&self) -> Result<Conn, StoreError> {
        match self {
            // Its own timeouts are the store's: every operation runs `within` them.
            Self::Single(info, backoff) => Ok(Conn::Single(
                pipelined::Pipelined::new(info.clone(), backoff.clone())
                    .connect()
                    .await
                    .map_err(store_error)?,
            )),
            #[cfg(feature = "redis-cluster")]
            Self::Cluster(client) => Ok(Conn::Cluster(
                client.get_async_connection().await.map_err(store_error)?,
            )),
        }
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match *self.target {
            Target::Single(..) => "single node",
            #[cfg(feature = "redis-cluster")]
            Target::Cluster(_) => "cluster",
        };
        f.debug_struct("RedisStore")
            .field("connection", &kind)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl RedisStore {
    /// A builder for a store on `urls`: one URL for a single node, the seed nodes for a
    /// cluster. Defaults: prefix `sess:`, timeout 2 s.
    ///
    /// ```
    /// let builder = session_stores::RedisStore::builder(["redis://127.0.0.1:6379"]);
    /// ```
    pub fn builder<U: Into<String>>(urls: impl IntoIterator<Item = U>) -> RedisStoreBuilder {
        RedisStoreBuilder {
            urls: urls.into_iter().map(Into::into).collect(),
            prefix: "sess:".to_owned(),
            timeout: DEFAULT_TIMEOUT,
            cluster: None,
        }
    }

    /// Connects to one node with the defaults.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), session_core::StoreError> {
    /// let store = session_stores::RedisStore::connect("redis://127.0.0.1:6379").await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::builder([url]).connect().await
    }

    /// The same store (settings, keys, records) with a connection of its own, made on first
    /// use on the runtime that first uses it. See [`RedisStoreBuilder::connect_lazy`].
    ///
    /// ```
    /// use session_core::{Config, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// let store = session_stores::RedisStore::builder(["redis://127.0.0.1:6379"]).connect_lazy()?;
    /// // With actix-web: `HttpServer::new(move || App::new().wrap(SessionMiddleware::new(per_worker())))`
    /// let per_worker = move || SessionManager::new(config.clone(), store.with_own_connection());
    /// # let _ = per_worker;
    /// # Ok::<(), session_core::StoreError>(())
    /// ```
    #[must_use]
    pub fn with_own_connection(&self) -> Self {
        Self {
            conn: Arc::new(OnceCell::new()),
            ..self.clone()
        }
    }

    /// The connection, made now if this is the first use of a lazily built store.
    async fn conn(&self) -> Result<Conn, StoreError> {
        let connect = || within(self.timeout, self.target.connect());
        self.conn.get_or_try_init(connect).await.cloned()
    }

    fn key(&self, id: &SessionId) -> String {
        let mut key = String::with_capacity(self.prefix.len() + id.as_str().len());
        key.push_str(&self.prefix);
        key.push_str(id.as_str());
        key
    }
}

impl Store for RedisStore {
    fn backend_name(&self) -> &'static str {
        "redis"
    }

    async fn load(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Result<Option<Record>, StoreError> {
        let mut conn = self.conn().await?;
        let value: Option<Vec<u8>> = within(self.timeout, async {
            redis::cmd("GET")
                .arg(self.key(id))
                .query_async(&mut conn)
                .await
                .map_err(store_error)
        })
        .await?;
        let Some(value) = value else { return Ok(None) };
        let record = record::decode(value)?;
        Ok((record.expires_at > now).then_some(record))
    }

    async fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        if record.user.is_some() {
            return match self.write(&scripts::CREATE, id, record, 0).await? {
                1 => Ok(()),
                _ => Err(StoreError::duplicate_id()),
            };
        }
        let mut conn = self.conn().await?;
        let expires = record::pexpireat_arg(unix_millis(record.expires_at));
        let value = record::encode(record)?;
        let reply: Option<String> = within(self.timeout, async {
            redis::cmd("SET")
                .arg(self.key(id))
                .arg(value)
                .arg("NX")
                .arg("PXAT")
                .arg(expires)
                .query_async(&mut conn)
                .await
                .map_err(store_error)
        })
        .await?;
        match reply {
            Some(_) => Ok(()),
            None => Err(StoreError::duplicate_id()),
        }
    }

    async fn save(
        &self,
        id: &SessionId,
        record: &Record,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        match self
            .write(&scripts::SAVE, id, record, expected_version)
            .await?
        {
            1 => Ok(()),
            0 => Err(StoreError::not_found()),
            _ => Err(StoreError::conflict()),
        }
    }

    async fn touch(&self, id: &SessionId, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let expires_ms = unix_millis(expires_at);
        let mut invocation = scripts::TOUCH.key(self.key(id));
        invocation
            .arg(&record::expiry_bytes(expires_ms)[..])
            .arg(record::pexpireat_arg(expires_ms));
        if self.single_node() {
            // Lets the script find the user's set and keep it alive as long as the record.
            invocation.arg(&*self.prefix);
        }
        within(self.timeout, async {
            invocation
                .invoke_async::<i64>(&mut conn)
                .await
                .map_err(store_error)
        })
        .await?;
        Ok(())
    }

    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        within(self.timeout, async {
            redis::cmd("DEL")
                .arg(self.key(id))
                .query_async::<i64>(&mut conn)
                .await
                .map_err(store_error)
        })
        .await?;
        Ok(())
    }

    async fn user_sessions(
        &self,
        user: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(SessionId, Record)>, StoreError> {
        self.list_user(user, now).await
    }

    async fn delete_user_sessions(
        &self,
        user: &str,
        except: Option<&SessionId>,
    ) -> Result<u64, StoreError> {
        self.delete_user(user, except).await
    }
}
