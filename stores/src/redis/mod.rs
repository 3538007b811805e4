//! Sessions in Redis, one node or a cluster.

mod conn;
mod connect_redis;
mod error;
mod inventory;
mod record;
mod scripts;
#[cfg(feature = "redis-sentinel")]
mod sentinel;
mod users;
mod wait;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use redis::{ConnectionInfo, IntoConnectionInfo};
use session_core::{unix_millis, Record, SessionId, Store, StoreError, StoreErrorKind};
use time::OffsetDateTime;
use tokio::sync::OnceCell;

use crate::deadline::{within, DEFAULT_TIMEOUT};
use conn::Conn;
pub use connect_redis::ConnectRedisStore;
use error::{connect_error, store_error};
use wait::{WaitForReplicas, Write};

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
/// A single node (`redis://`, `redis+unix://`, or `rediss://` with feature `redis-tls`,
/// with the URL's password and database) is reached through redis-rs'
/// [`ConnectionManager`](redis::aio::ConnectionManager): one multiplexed connection shared
/// by all concurrent requests, connected again after it breaks. A reconnect tries twice (the
/// second time after a wait of 25 to 50 ms), each try bounded by the store's timeout; while
/// the server is down, operations fail with [`StoreErrorKind::Unavailable`] as soon as a
/// connect is refused, and the store recovers by itself once the server is back. A server
/// that answers with an error (a wrong password, a database it lacks) has its error returned
/// as is. Every operation gives up after the configured timeout (default 2 s) with
/// [`StoreErrorKind::Timeout`]; a refused or dropped connection is
/// [`StoreErrorKind::Unavailable`].
///
/// Several URLs (the cluster's seed nodes, feature `redis-cluster`) connect to a Redis
/// Cluster through the same type, with redis-rs' cluster connection.
///
/// Other ways in, all the same type with the same keys and records:
///
/// - `rediss://` (feature `redis-tls`): TLS through rustls, on the same connection manager,
///   trusting the system's roots or the CA given with `RedisStoreBuilder::tls_ca_pem`; a
///   certificate that is not trusted fails `connect` with [`StoreErrorKind::Backend`] saying
///   so. With `redis-cluster`, `rediss://` seeds connect to a cluster over TLS alike.
/// - The application's own connection: [`RedisStore::from_connection_manager`],
///   [`RedisStore::from_multiplexed_connection`] and (with `redis-cluster`)
///   `RedisStore::from_cluster_connection`.
/// - Sentinel (feature `redis-sentinel`): `RedisStore::builder_sentinel`.
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
    wait: Option<WaitForReplicas>,
}

/// How to log in to the master the sentinels name (their URLs carry only their own).
#[derive(Debug, Clone, Default)]
#[cfg_attr(not(feature = "redis-sentinel"), allow(dead_code))]
struct MasterLogin {
    username: Option<String>,
    password: Option<String>,
    db: i64,
}

/// What the read cache's invalidation link needs to reach a store's Redis.
pub(crate) struct TrackingTarget {
    pub(crate) addr: redis::ConnectionAddr,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) prefix: Arc<str>,
    pub(crate) timeout: Duration,
}

/// Configures a [`RedisStore`].
#[derive(Debug, Clone)]
#[must_use]
pub struct RedisStoreBuilder {
    /// Redis URLs, or the sentinels' when `sentinel_master` is set.
    urls: Vec<String>,
    prefix: String,
    timeout: Duration,
    cluster: Option<bool>,
    /// The application's own connection, used as it is.
    given: Option<Conn>,
    sentinel_master: Option<String>,
    /// The master's password, user name and database (Sentinel).
    master_login: MasterLogin,
    wait: Option<WaitForReplicas>,
    #[cfg(feature = "redis-tls")]
    tls: Option<redis::TlsCertificates>,
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

    /// Makes every write (`create`, `save`, `touch`, `delete`) wait until at least `replicas`
    /// replicas have it: the write is followed by `WAIT replicas timeout` in the same
    /// pipeline, on the same connection, and fails with [`StoreErrorKind::Timeout`] when
    /// fewer replicas acknowledged it within `timeout`. Default: off.
    ///
    /// Redis replicates asynchronously: without this, the master acknowledges a write before
    /// any replica has it, and a failover (Sentinel promoting a replica after the master
    /// died) loses the writes the replica had not received yet, although the application saw
    /// them succeed. With it, a write succeeds only once `replicas` replicas hold it, so a
    /// failover to one of them keeps every acknowledged write, at the cost of a round trip
    /// from the master to a replica on every write. (Sentinel promotes the replica with the
    /// most data; with several replicas and `replicas` below their number, an acknowledged
    /// write survives only if one that has it is promoted.)
    ///
    /// A write that fails this way did reach the master: it may still be there (and reach
    /// the replicas later), or be lost in a failover; retrying is safe for a compare-and-set
    /// `save`. While fewer than `replicas` replicas are connected (after a failover, before
    /// a replica of the new master has synchronised), every write fails. `WAIT` blocks the
    /// connection it runs on, so on the store's shared connection the commands queued behind
    /// it wait too; keep `timeout` short (tens of ms on one network) and below the store's
    /// [`timeout`](Self::timeout). `WAIT` is not `WAITAOF`: it says a replica received the
    /// write, not that anyone wrote it to disk. Not for a cluster: `connect` fails with
    /// [`StoreErrorKind::Unsupported`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = session_stores::RedisStore::builder(["redis://127.0.0.1"])
    ///     .wait_for_replicas(1, Duration::from_millis(100));
    /// ```
    pub fn wait_for_replicas(mut self, replicas: u32, timeout: Duration) -> Self {
        self.wait = (replicas > 0).then_some(WaitForReplicas { replicas, timeout });
        self
    }

    /// With [`RedisStore::builder_sentinel`]: the password (and user name, for an ACL user;
    /// `None` for `default`) the master and its replicas ask for (`requirepass`). The
    /// sentinels' own password goes in their URLs (`redis://:secret@host:26379`). Ignored
    /// without Sentinel: a single node's or a cluster's password is in its URL.
    ///
    /// ```
    /// let builder = session_stores::RedisStore::builder_sentinel(["redis://s1:26379"], "mymaster")
    ///     .master_password(Some("sessions"), "s3cret");
    /// ```
    #[cfg(feature = "redis-sentinel")]
    pub fn master_password(mut self, username: Option<&str>, password: &str) -> Self {
        self.master_login.username = username.map(str::to_owned);
        self.master_login.password = Some(password.to_owned());
        self
    }

    /// With [`RedisStore::builder_sentinel`]: the master's database number. Default: 0.
    ///
    /// ```
    /// let builder = session_stores::RedisStore::builder_sentinel(["redis://s1:26379"], "mymaster")
    ///     .master_db(2);
    /// ```
    #[cfg(feature = "redis-sentinel")]
    pub fn master_db(mut self, db: i64) -> Self {
        self.master_login.db = db;
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

    /// Trusts the CA certificate(s) in `pem` (PEM, one or more) for `rediss://` URLs instead
    /// of the system's roots: for a server whose certificate a private CA signed. Ignored for
    /// a connection the application gives.
    ///
    /// ```
    /// # let ca_pem = b"-----BEGIN CERTIFICATE-----\n...".to_vec();
    /// let builder = session_stores::RedisStore::builder(["rediss://redis.internal:6380"])
    ///     .tls_ca_pem(ca_pem);
    /// ```
    #[cfg(feature = "redis-tls")]
    pub fn tls_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls
            .get_or_insert(redis::TlsCertificates {
                client_tls: None,
                root_cert: None,
            })
            .root_cert = Some(pem.into());
        self
    }

    /// Presents this client certificate chain and its private key (both PEM) to a
    /// `rediss://` server that asks for one (`tls-auth-clients yes`).
    ///
    /// ```
    /// # let (cert_pem, key_pem) = (Vec::new(), Vec::new());
    /// let builder = session_stores::RedisStore::builder(["rediss://redis.internal:6380"])
    ///     .tls_client_cert_pem(cert_pem, key_pem);
    /// ```
    #[cfg(feature = "redis-tls")]
    pub fn tls_client_cert_pem(
        mut self,
        cert_chain: impl Into<Vec<u8>>,
        key: impl Into<Vec<u8>>,
    ) -> Self {
        self.tls
            .get_or_insert(redis::TlsCertificates {
                client_tls: None,
                root_cert: None,
            })
            .client_tls = Some(redis::ClientTlsConfig {
            client_cert: cert_chain.into(),
            client_key: key.into(),
        });
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
    /// the store; a failed connect is retried by the next operation.
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
        let target = if let Some(conn) = &self.given {
            Target::Given(conn.clone())
        } else if let Some(master) = &self.sentinel_master {
            Target::sentinel(&self.urls, master, &self.master_login, self.timeout)?
        } else {
            let cluster = self.cluster.unwrap_or(self.urls.len() > 1);
            Target::new(&self, cluster)?
        };
        if self.wait.is_some() && target.is_cluster() {
            return Err(StoreError::new(
                StoreErrorKind::Unsupported,
                "`wait_for_replicas` is not supported on a Redis Cluster",
            ));
        }
        Ok(RedisStore {
            conn: Arc::new(OnceCell::new()),
            target: Arc::new(target),
            prefix: self.prefix.into(),
            timeout: self.timeout,
            wait: self.wait,
        })
    }
}

/// Where to connect: checked when the store is built, connected when first needed.
enum Target {
    /// One node (`redis://`, `redis+unix://`, `rediss://`): redis-rs' connection manager.
    /// The flag says whether it is over TLS.
    Single(
        Box<redis::Client>,
        redis::aio::ConnectionManagerConfig,
        bool,
    ),
    /// The application's own connection.
    Given(Conn),
    /// The sentinels' URLs, the master's name and how to connect to it.
    #[cfg(feature = "redis-sentinel")]
    Sentinel(
        Vec<String>,
        String,
        redis::sentinel::SentinelNodeConnectionInfo,
        redis::AsyncConnectionConfig,
    ),
    #[cfg(feature = "redis-cluster")]
    // Boxed: the cluster client is twice the size of the single-node one.
    Cluster(Box<redis::cluster::ClusterClient>),
}

impl Target {
    fn new(builder: &RedisStoreBuilder, cluster: bool) -> Result<Self, StoreError> {
        let urls = &builder.urls;
        if cluster {
            return Self::cluster(builder);
        }
        let [url] = urls.as_slice() else {
            return Err(StoreError::new(
                StoreErrorKind::Backend,
                format!(
                    "a single Redis node needs exactly one URL, got {}",
                    urls.len()
                ),
            ));
        };
        check_tls_feature(url)?;
        let info = url.as_str().into_connection_info().map_err(store_error)?;
        Self::single(info, builder)
    }

    /// One node, through redis-rs' connection manager: it reconnects after a broken
    /// connection (a second try after 25 to 50 ms, then again at the next command), each
    /// connect bounded by the store's timeout, so a server that is down is not retried for
    /// long inside one operation.
    fn single(info: ConnectionInfo, builder: &RedisStoreBuilder) -> Result<Self, StoreError> {
        let tls = is_tls(&info);
        #[cfg(feature = "redis-tls")]
        let client = if tls {
            install_crypto_provider();
            match &builder.tls {
                Some(certs) => redis::Client::build_with_tls(info, certs.clone()),
                None => redis::Client::open(info),
            }
        } else {
            redis::Client::open(info)
        };
        #[cfg(not(feature = "redis-tls"))]
        let client = redis::Client::open(info);
        let client = client.map_err(store_error)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(builder.timeout))
            // Every operation runs `within` the store's timeout already.
            .set_response_timeout(None)
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(25))
            .set_max_delay(Duration::from_secs(1));
        Ok(Self::Single(Box::new(client), config, tls))
    }

    #[cfg(feature = "redis-sentinel")]
    fn sentinel(
        sentinels: &[String],
        master: &str,
        login: &MasterLogin,
        timeout: Duration,
    ) -> Result<Self, StoreError> {
        if sentinels.is_empty() {
            return Err(StoreError::new(
                StoreErrorKind::Backend,
                "Redis Sentinel needs at least one sentinel URL",
            ));
        }
        for url in sentinels {
            url.as_str().into_connection_info().map_err(store_error)?;
        }
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(None);
        let mut info = redis::RedisConnectionInfo::default().set_db(login.db);
        if let Some(password) = &login.password {
            info = info.set_password(password);
        }
        if let Some(username) = &login.username {
            info = info.set_username(username);
        }
        let node =
            redis::sentinel::SentinelNodeConnectionInfo::default().set_redis_connection_info(info);
        Ok(Self::Sentinel(
            sentinels.to_vec(),
            master.to_owned(),
            node,
            config,
        ))
    }

    #[cfg(not(feature = "redis-sentinel"))]
    fn sentinel(_: &[String], _: &str, _: &MasterLogin, _: Duration) -> Result<Self, StoreError> {
        Err(StoreError::new(
            StoreErrorKind::Backend,
            "Redis Sentinel needs the `redis-sentinel` feature of session-stores",
        ))
    }

    #[cfg(feature = "redis-cluster")]
    fn cluster(builder: &RedisStoreBuilder) -> Result<Self, StoreError> {
        for url in &builder.urls {
            check_tls_feature(url)?;
        }
        #[cfg(feature = "redis-tls")]
        if builder.urls.iter().any(|url| url.starts_with("rediss://")) {
            install_crypto_provider();
        }
        let timeout = builder.timeout;
        let client =
            redis::cluster::ClusterClient::builder(builder.urls.iter().map(String::as_str))
                .connection_timeout(timeout)
                .response_timeout(timeout)
                .retries(1);
        #[cfg(feature = "redis-tls")]
        let client = match &builder.tls {
            Some(certs) => client.certs(certs.clone()),
            None => client,
        };
        let client = client.build().map_err(store_error)?;
        Ok(Self::Cluster(Box::new(client)))
    }

    #[cfg(not(feature = "redis-cluster"))]
    fn cluster(_: &RedisStoreBuilder) -> Result<Self, StoreError> {
        Err(StoreError::new(
            StoreErrorKind::Backend,
            "Redis Cluster needs the `redis-cluster` feature of session-stores",
        ))
    }

    async fn connect(&self) -> Result<Conn, StoreError> {
        match self {
            Self::Single(client, config, _) => Ok(Conn::Manager(
                redis::aio::ConnectionManager::new_with_config((**client).clone(), config.clone())
                    .await
                    .map_err(connect_error)?,
            )),
            Self::Given(conn) => Ok(conn.clone()),
            #[cfg(feature = "redis-sentinel")]
            Self::Sentinel(sentinels, master, node, config) => Ok(Conn::Sentinel(
                sentinel::SentinelConn::new(sentinels, master, node.clone(), config.clone())
                    .map_err(store_error)?
                    .connect()
                    .await
                    .map_err(connect_error)?,
            )),
            #[cfg(feature = "redis-cluster")]
            Self::Cluster(client) => Ok(Conn::Cluster(
                client.get_async_connection().await.map_err(connect_error)?,
            )),
        }
    }

    /// Whether this is a cluster (scripts may not touch keys of several slots).
    fn is_cluster(&self) -> bool {
        match self {
            Self::Given(conn) => conn.is_cluster(),
            #[cfg(feature = "redis-cluster")]
            Self::Cluster(_) => true,
            _ => false,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::Single(_, _, false) => "single node",
            Self::Single(_, _, true) => "single node (TLS)",
            Self::Given(conn) => conn.kind(),
            #[cfg(feature = "redis-sentinel")]
            Self::Sentinel(..) => "sentinel",
            #[cfg(feature = "redis-cluster")]
            Self::Cluster(_) => "cluster",
        }
    }
}

/// Makes rustls' ring provider the process' default unless one is set already: redis-rs
/// builds its TLS configuration on the default, and rustls cannot pick one by itself when
/// another crate of the application compiles in a second provider (aws-lc-rs).
///
/// ring rather than aws-lc-rs: it builds quickly with a C compiler alone. rustls 0.23.4x
/// deprecates ring's provider because it lacks post-quantum key exchange; an application
/// that wants it installs aws-lc-rs' provider before connecting, and this one then stands
/// aside.
#[cfg(feature = "redis-tls")]
#[allow(deprecated)]
fn install_crypto_provider() {
    // An error only means that the application installed its own first.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Whether `info` is a TLS address (`rediss://`).
fn is_tls(info: &ConnectionInfo) -> bool {
    matches!(info.addr(), redis::ConnectionAddr::TcpTls { .. })
}

/// Refuses `rediss://` clearly when TLS is not built in.
fn check_tls_feature(url: &str) -> Result<(), StoreError> {
    if cfg!(feature = "redis-tls") || !url.starts_with("rediss://") {
        return Ok(());
    }
    Err(StoreError::new(
        StoreErrorKind::Backend,
        "rediss:// (TLS) needs the `redis-tls` feature of session-stores",
    ))
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("connection", &self.target.kind())
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("wait_for_replicas", &self.wait)
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
            given: None,
            sentinel_master: None,
            master_login: MasterLogin::default(),
            wait: None,
            #[cfg(feature = "redis-tls")]
            tls: None,
        }
    }

    fn builder_given(conn: Conn) -> RedisStoreBuilder {
        RedisStoreBuilder {
            given: Some(conn),
            ..Self::builder(std::iter::empty::<String>())
        }
    }

    /// A builder for a store on the application's own redis-rs
    /// [`ConnectionManager`](redis::aio::ConnectionManager) (redis 1.x), which reconnects by
    /// itself; the store uses it as it is (its URL, TLS, retries and timeouts are the
    /// application's). The builder's `prefix` and `timeout` apply, `cluster` and the TLS
    /// settings are ignored. [`RedisStore::with_own_connection`] shares this connection.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = redis::Client::open("redis://127.0.0.1:6379")?;
    /// let manager = redis::aio::ConnectionManager::new(client).await?;
    /// let store = session_stores::RedisStore::from_connection_manager(manager)
    ///     .prefix("app:")
    ///     .connect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn from_connection_manager(manager: redis::aio::ConnectionManager) -> RedisStoreBuilder {
        Self::builder_given(Conn::Manager(manager))
    }

    /// A builder for a store on the application's own redis-rs
    /// [`MultiplexedConnection`](redis::aio::MultiplexedConnection) (redis 1.x). It does not
    /// reconnect: once it breaks, every operation fails with
    /// [`StoreErrorKind::Unavailable`]; prefer [`RedisStore::from_connection_manager`]. The
    /// builder's `prefix` and `timeout` apply, `cluster` and the TLS settings are ignored.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = redis::Client::open("redis://127.0.0.1:6379")?;
    /// let conn = client.get_multiplexed_async_connection().await?;
    /// let store = session_stores::RedisStore::from_multiplexed_connection(conn).connect().await?;
    /// # Ok(()) }
    /// ```
    pub fn from_multiplexed_connection(
        conn: redis::aio::MultiplexedConnection,
    ) -> RedisStoreBuilder {
        Self::builder_given(Conn::Multiplexed(conn))
    }

    /// A builder for a store on the application's own redis-rs
    /// [`ClusterConnection`](redis::cluster_async::ClusterConnection) (redis 1.x). The
    /// builder's `prefix` and `timeout` apply, `cluster` and the TLS settings are ignored.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = redis::cluster::ClusterClient::new(vec!["redis://127.0.0.1:7000"])?;
    /// let conn = client.get_async_connection().await?;
    /// let store = session_stores::RedisStore::from_cluster_connection(conn).connect().await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "redis-cluster")]
    pub fn from_cluster_connection(
        conn: redis::cluster_async::ClusterConnection,
    ) -> RedisStoreBuilder {
        Self::builder_given(Conn::Cluster(conn))
    }

    /// A builder for a store on the master named `master_name` that the sentinels at
    /// `sentinels` (`redis://host:26379` URLs) monitor (feature `redis-sentinel`). The store
    /// asks the sentinels for the master, checks its role and connects to it; once that
    /// connection breaks or the node answers `READONLY` (a failover), the next operation asks
    /// the sentinels again and connects to the new master.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), session_core::StoreError> {
    /// let store = session_stores::RedisStore::builder_sentinel(
    ///     ["redis://sentinel-1:26379", "redis://sentinel-2:26379", "redis://sentinel-3:26379"],
    ///     "mymaster",
    /// )
    /// .connect()
    /// .await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "redis-sentinel")]
    pub fn builder_sentinel<U: Into<String>>(
        sentinels: impl IntoIterator<Item = U>,
        master_name: impl Into<String>,
    ) -> RedisStoreBuilder {
        RedisStoreBuilder {
            sentinel_master: Some(master_name.into()),
            ..Self::builder(sentinels)
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
        // Boxed and erased: the connect future (redis-rs' connection manager, sentinels,
        // cluster) is deep enough that nesting it in every operation's future overflows
        // rustc's query depth in a caller's crate.
        let connect = || {
            let connect: Pin<Box<dyn Future<Output = _> + Send + '_>> =
                Box::pin(self.target.connect());
            within(self.timeout, connect)
        };
        self.conn.get_or_try_init(connect).await.cloned()
    }

    /// Where the read cache's invalidation link connects, and for which keys: a plain or
    /// Unix-socket single node only (its link reads its socket without waiting, which a TLS
    /// stream does not offer).
    pub(crate) fn tracking_target(&self) -> Result<TrackingTarget, StoreError> {
        match &*self.target {
            Target::Single(client, _, false) => {
                let info = client.get_connection_info();
                let settings = info.redis_settings();
                Ok(TrackingTarget {
                    addr: info.addr().clone(),
                    username: settings.username().map(str::to_owned),
                    password: settings.password().map(str::to_owned),
                    prefix: self.prefix.clone(),
                    timeout: self.timeout,
                })
            }
            _ => Err(crate::cache::unsupported_redis()),
        }
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
        let mut set = redis::cmd("SET");
        set.arg(self.key(id))
            .arg(value)
            .arg("NX")
            .arg("PXAT")
            .arg(expires);
        let reply: Option<String> = within(
            self.timeout,
            wait::run(&mut conn, Write::Cmd(set), self.wait),
        )
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
        within(
            self.timeout,
            wait::run::<i64>(&mut conn, Write::Script(&invocation), self.wait),
        )
        .await?;
        Ok(())
    }

    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let mut del = redis::cmd("DEL");
        del.arg(self.key(id));
        within(
            self.timeout,
            wait::run::<i64>(&mut conn, Write::Cmd(del), self.wait),
        )
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
