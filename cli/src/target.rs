//! Store URLs, and one type over every store the tool speaks to.

use std::time::Duration;

use session_core::{Record, SessionId, Store, StoreError};
use session_stores::{
    ConnectPgStore, ConnectRedisStore, Cursor, Inventory, MySqlStore, Page, PostgresStore,
    RedisStore, SqliteStore,
};
use time::OffsetDateTime;

use crate::codec::CodecName;
use crate::error::Failure;

/// Connections a SQL store's pool opens at most (a migration writes this many at once).
const SQL_CONNECTIONS: u32 = 16;

/// The URL schemes, for messages.
pub const SCHEMES: &str = "redis://, rediss://, redis+unix://, redis-cluster://, \
    redis-clusters://, connect-redis://, connect-rediss://, connect-redis-cluster://, \
    postgres://, connect-pg://, mysql://, sqlite://";

/// Which store a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Redis,
    RedisCluster,
    ConnectRedis,
    ConnectRedisCluster,
    Postgres,
    ConnectPg,
    MySql,
    Sqlite,
}

/// A parsed store URL: what to connect to, and the tool's own parameters taken out of it.
#[derive(Debug, Clone)]
pub struct Target {
    kind: Kind,
    /// The URL(s) handed to the store, the tool's parameters removed.
    urls: Vec<String>,
    /// The URL as given, password hidden: what messages show.
    pub shown: String,
    prefix: Option<String>,
    table: Option<String>,
    schema: Option<String>,
    time_zone: Option<String>,
    /// A PEM file of the CA that signed the Redis server's certificate (`?ca=`).
    ca: Option<String>,
}

/// `text` with the password of its `user:password@` part, if any, replaced by `***`.
pub fn redact(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_owned();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            let user = match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:***"),
                None => userinfo.to_owned(),
            };
            format!("{scheme}://{user}@{hosts}{tail}")
        }
        None => text.to_owned(),
    }
}

impl Target {
    /// Parses a store URL (see the crate docs for the schemes and parameters).
    pub fn parse(text: &str) -> Result<Self, Failure> {
        let shown = redact(text.trim());
        let text = text.trim();
        let Some((scheme, rest)) = text.split_once("://").or_else(|| {
            // sqlx also takes `sqlite:path`.
            text.strip_prefix("sqlite:").map(|rest| ("sqlite", rest))
        }) else {
            return Err(Failure::usage(format!(
                "{shown:?} is not a store URL: expected one of {SCHEMES}"
            )));
        };
        let scheme = scheme.to_ascii_lowercase();
        let tls = matches!(
            scheme.as_str(),
            "rediss" | "redis-clusters" | "connect-rediss" | "connect-redis-clusters"
        );
        let kind = match scheme.as_str() {
            "redis" | "redis+unix" | "unix" | "rediss" => Kind::Redis,
            "redis-cluster" | "redis-clusters" => Kind::RedisCluster,
            "connect-redis" | "connect-redis+unix" | "connect-rediss" => Kind::ConnectRedis,
            "connect-redis-cluster" | "connect-redis-clusters" => Kind::ConnectRedisCluster,
            "postgres" | "postgresql" => Kind::Postgres,
            "connect-pg" | "connect-pg-simple" => Kind::ConnectPg,
            "mysql" | "mariadb" => Kind::MySql,
            "sqlite" => Kind::Sqlite,
            _ => {
                return Err(Failure::usage(format!(
                    "{shown}: unknown scheme {scheme:?}; expected one of {SCHEMES}"
                )))
            }
        };
        let (base, query) = match rest.split_once('?') {
            Some((base, query)) => (base, query),
            None => (rest, ""),
        };
        let (mut prefix, mut table, mut schema, mut time_zone) = (None, None, None, None);
        let mut ca = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded = || {
                session_core::decode_uri_component(value).ok_or_else(|| {
                    Failure::usage(format!(
                        "{shown}: the value of {key:?} is not valid percent-encoding"
                    ))
                })
            };
            match (key, kind) {
                ("prefix", Kind::Redis | Kind::RedisCluster)
                | ("prefix", Kind::ConnectRedis | Kind::ConnectRedisCluster) => {
                    prefix = Some(decoded()?);
                }
                ("ca", _) if tls => ca = Some(decoded()?),
                ("table", Kind::ConnectPg) => table = Some(decoded()?),
                ("schema", Kind::ConnectPg) => schema = Some(decoded()?),
                ("tz" | "time_zone", Kind::ConnectPg) => time_zone = Some(decoded()?),
                _ => kept.push(pair),
            }
        }
        let mut target = Target {
            kind,
            urls: Vec::new(),
            shown,
            prefix,
            table,
            schema,
            time_zone,
            ca,
        };
        let query = if kept.is_empty() {
            String::new()
        } else {
            format!("?{}", kept.join("&"))
        };
        let inner_scheme = match kind {
            Kind::Redis | Kind::ConnectRedis if scheme.ends_with("+unix") || scheme == "unix" => {
                "redis+unix"
            }
            Kind::Redis | Kind::ConnectRedis | Kind::RedisCluster | Kind::ConnectRedisCluster
                if tls =>
            {
                "rediss"
            }
            Kind::Redis | Kind::ConnectRedis | Kind::RedisCluster | Kind::ConnectRedisCluster => {
                "redis"
            }
            Kind::Postgres | Kind::ConnectPg => "postgres",
            Kind::MySql => "mysql",
            Kind::Sqlite => "sqlite",
        };
        target.urls = match kind {
            Kind::RedisCluster | Kind::ConnectRedisCluster => {
                // `redis-cluster://[user:password@]host:port,host:port[/]`: one seed each.
                let authority = base.trim_end_matches('/');
                let (userinfo, hosts) = match authority.rsplit_once('@') {
                    Some((userinfo, hosts)) => (format!("{userinfo}@"), hosts),
                    None => (String::new(), authority),
                };
                let seeds: Vec<String> = hosts
                    .split(',')
                    .filter(|h| !h.is_empty())
                    .map(|host| format!("{inner_scheme}://{userinfo}{host}{query}"))
                    .collect();
                if seeds.is_empty() {
                    return Err(Failure::usage(format!(
                        "{}: a cluster URL lists its seed nodes, \
                         redis-cluster://host:port,host:port",
                        target.shown
                    )));
                }
                seeds
            }
            _ => vec![format!("{inner_scheme}://{base}{query}")],
        };
        if base.is_empty() && kind != Kind::Sqlite {
            return Err(Failure::usage(format!(
                "{}: the URL names no server",
                target.shown
            )));
        }
        Ok(target)
    }

    /// The codec this layout's records are written with unless told otherwise.
    pub fn default_codec(&self) -> CodecName {
        match self.kind {
            Kind::ConnectRedis | Kind::ConnectRedisCluster | Kind::ConnectPg => CodecName::Express,
            _ => CodecName::Json,
        }
    }

    /// The SQLite file, for a `sqlite://` URL.
    fn sqlite_path(&self) -> Option<String> {
        let url = self.urls.first()?;
        let path = url.strip_prefix("sqlite://")?;
        let path = path.split('?').next().unwrap_or_default();
        (!path.is_empty() && path != ":memory:").then(|| path.to_owned())
    }

    /// The TCP addresses the URLs name (`host:port`, the scheme's default port when none is
    /// given); none for a Unix socket or a file.
    fn addresses(&self) -> Vec<(String, u16)> {
        let default_port = match self.kind {
            Kind::Redis | Kind::RedisCluster | Kind::ConnectRedis | Kind::ConnectRedisCluster => {
                6379
            }
            Kind::Postgres | Kind::ConnectPg => 5432,
            Kind::MySql => 3306,
            Kind::Sqlite => return Vec::new(),
        };
        let mut out = Vec::new();
        for url in &self.urls {
            let Some(rest) = url.strip_prefix("redis://").or_else(|| {
                url.strip_prefix("postgres://")
                    .or_else(|| url.strip_prefix("mysql://"))
            }) else {
                continue;
            };
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            let authority = &rest[..end];
            let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            // PostgreSQL takes several hosts (`h1,h2`) and a socket directory in `?host=`:
            // probe only the plain case.
            if hostport.is_empty() || hostport.contains(',') {
                continue;
            }
            let (host, port) = match hostport.rsplit_once(':') {
                Some((host, port)) if !host.ends_with(':') && !port.contains(']') => {
                    (host, port.parse().unwrap_or(default_port))
                }
                _ => (hostport, default_port),
            };
            let host = host.trim_start_matches('[').trim_end_matches(']');
            out.push((host.to_owned(), port));
        }
        out
    }

    /// Checks that the servers accept a TCP connection, so that a refused or unroutable port
    /// is reported at once and as what it is (a pool would retry until its timeout).
    async fn probe(&self, timeout: Duration) -> Result<(), Failure> {
        for (host, port) in self.addresses() {
            let connect = tokio::net::TcpStream::connect((host.as_str(), port));
            let why = match tokio::time::timeout(timeout, connect).await {
                Ok(Ok(_)) => continue,
                Ok(Err(e)) => e.to_string(),
                Err(_) => format!("no answer within {timeout:?} (see --timeout)"),
            };
            return Err(Failure {
                exit: crate::error::Exit::Unreachable,
                message: format!("cannot reach {} at {host}:{port}: {why}", self.shown),
                detail: None,
            });
        }
        Ok(())
    }

    /// Connects. `write` prepares the store for writing: creates the sessions table (the
    /// store's own migrations, or connect-pg-simple's table) when it is missing, and a
    /// SQLite file that does not exist yet.
    pub async fn open(&self, timeout: Duration, write: bool) -> Result<AnyStore, Failure> {
        let fail = |what: &str, err: StoreError| Failure::store(what, &self.shown, &err);
        if let (Kind::Sqlite, false, Some(path)) = (self.kind, write, self.sqlite_path()) {
            if !std::path::Path::new(&path).exists() {
                return Err(Failure {
                    exit: crate::error::Exit::Unreachable,
                    message: format!("{}: no such SQLite file: {path}", self.shown),
                    detail: None,
                });
            }
        }
        self.probe(timeout).await?;
        let store = match self.kind {
            Kind::Redis | Kind::RedisCluster | Kind::ConnectRedis | Kind::ConnectRedisCluster => {
                let cluster = matches!(self.kind, Kind::RedisCluster | Kind::ConnectRedisCluster);
                let mut builder = RedisStore::builder(self.urls.clone())
                    .prefix(self.prefix.clone().unwrap_or_else(|| "sess:".to_owned()))
                    .timeout(timeout)
                    .cluster(cluster);
                if let Some(path) = &self.ca {
                    let pem = std::fs::read(path).map_err(|e| {
                        Failure::usage(format!(
                            "{}: cannot read the CA file {path:?} (?ca=): {e}",
                            self.shown
                        ))
                    })?;
                    builder = builder.tls_ca_pem(pem);
                }
                let redis = builder.connect().await.map_err(|e| fail("connecting", e))?;
                if matches!(self.kind, Kind::ConnectRedis | Kind::ConnectRedisCluster) {
                    AnyStore::ConnectRedis(ConnectRedisStore::new(redis))
                } else {
                    AnyStore::Redis(redis)
                }
            }
            Kind::Postgres | Kind::ConnectPg => {
                let pg = PostgresStore::builder(&self.urls[0])
                    .timeout(timeout)
                    .max_connections(SQL_CONNECTIONS)
                    .connect()
                    .await
                    .map_err(|e| fail("connecting", e))?;
                if self.kind == Kind::Postgres {
                    if write {
                        pg.migrate()
                            .await
                            .map_err(|e| fail("creating the sessions table", e))?;
                    }
                    AnyStore::Postgres(pg)
                } else {
                    let mut store = ConnectPgStore::new(pg);
                    if let Some(table) = &self.table {
                        store = store.table_name(table);
                    }
                    if let Some(schema) = &self.schema {
                        store = store.schema_name(schema);
                    }
                    if let Some(zone) = &self.time_zone {
                        store = store.time_zone(zone);
                    }
                    if write {
                        store
                            .create_table()
                            .await
                            .map_err(|e| fail("creating the session table", e))?;
                    }
                    AnyStore::ConnectPg(store)
                }
            }
            Kind::MySql => {
                let store = MySqlStore::builder(&self.urls[0])
                    .timeout(timeout)
                    .max_connections(SQL_CONNECTIONS)
                    .connect()
                    .await
                    .map_err(|e| fail("connecting", e))?;
                if write {
                    store
                        .migrate()
                        .await
                        .map_err(|e| fail("creating the sessions table", e))?;
                }
                AnyStore::MySql(store)
            }
            Kind::Sqlite => {
                let store = SqliteStore::builder(&self.urls[0])
                    .timeout(timeout)
                    .max_connections(SQL_CONNECTIONS)
                    .connect()
                    .await
                    .map_err(|e| fail("opening", e))?;
                if write {
                    store
                        .migrate()
                        .await
                        .map_err(|e| fail("creating the sessions table", e))?;
                }
                AnyStore::Sqlite(store)
            }
        };
        Ok(store)
    }
}

/// Every store the tool speaks to, as one type.
pub enum AnyStore {
    Redis(RedisStore),
    ConnectRedis(ConnectRedisStore),
    Postgres(PostgresStore),
    ConnectPg(ConnectPgStore),
    MySql(MySqlStore),
    Sqlite(SqliteStore),
}

/// Runs `$body` with `$s` bound to whichever store `$store` holds.
macro_rules! each {
    ($store:expr, $s:ident => $body:expr) => {
        match $store {
            AnyStore::Redis($s) => $body,
            AnyStore::ConnectRedis($s) => $body,
            AnyStore::Postgres($s) => $body,
            AnyStore::ConnectPg($s) => $body,
            AnyStore::MySql($s) => $body,
            AnyStore::Sqlite($s) => $body,
        }
    };
}

impl AnyStore {
    pub async fn load(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Result<Option<Record>, StoreError> {
        each!(self, s => Store::load(s, id, now).await)
    }

    pub async fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        each!(self, s => Store::create(s, id, record).await)
    }

    pub async fn save(
        &self,
        id: &SessionId,
        record: &Record,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        each!(self, s => Store::save(s, id, record, expected_version).await)
    }

    pub async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        each!(self, s => Store::delete(s, id).await)
    }

    pub async fn user_sessions(
        &self,
        user: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(SessionId, Record)>, StoreError> {
        each!(self, s => Store::user_sessions(s, user, now).await)
    }

    pub async fn delete_user_sessions(
        &self,
        user: &str,
        except: Option<&SessionId>,
    ) -> Result<u64, StoreError> {
        each!(self, s => Store::delete_user_sessions(s, user, except).await)
    }

    pub async fn scan(
        &self,
        after: Option<&Cursor>,
        limit: usize,
        now: OffsetDateTime,
    ) -> Result<Page, StoreError> {
        each!(self, s => Inventory::scan(s, after, limit, now).await)
    }

    pub async fn count(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        each!(self, s => Inventory::count(s, now).await)
    }

    /// Deletes expired rows (SQL); `None` for Redis, which expires keys itself.
    pub async fn purge_expired(&self, now: OffsetDateTime) -> Result<Option<u64>, StoreError> {
        Ok(match self {
            AnyStore::Redis(_) | AnyStore::ConnectRedis(_) => None,
            AnyStore::Postgres(s) => Some(s.delete_expired(now).await?),
            AnyStore::ConnectPg(s) => Some(s.delete_expired(now).await?),
            AnyStore::MySql(s) => Some(s.delete_expired(now).await?),
            AnyStore::Sqlite(s) => Some(s.delete_expired(now).await?),
        })
    }

    /// Whether the layout keeps a user index (the express layouts do not).
    pub fn has_user_index(&self) -> bool {
        !matches!(self, AnyStore::ConnectRedis(_) | AnyStore::ConnectPg(_))
    }

    /// The layout's name, for messages.
    pub fn layout(&self) -> &'static str {
        match self {
            AnyStore::Redis(_) => "Redis",
            AnyStore::ConnectRedis(_) => "connect-redis",
            AnyStore::Postgres(_) => "PostgreSQL",
            AnyStore::ConnectPg(_) => "connect-pg-simple",
            AnyStore::MySql(_) => "MySQL",
            AnyStore::Sqlite(_) => "SQLite",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact("redis://:hunter2@10.0.0.1:6379/0?prefix=a"),
            "redis://:***@10.0.0.1:6379/0?prefix=a"
        );
        assert_eq!(
            redact("postgres://app:p@ss@db/app"),
            "postgres://app:***@db/app"
        );
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn the_tool_takes_its_parameters_out() {
        let t = Target::parse("redis://127.0.0.1:6379/2?prefix=app%3As%3A").unwrap();
        assert_eq!(t.urls, ["redis://127.0.0.1:6379/2"]);
        assert_eq!(t.prefix.as_deref(), Some("app:s:"));
        let t = Target::parse("connect-pg://u@h/db?table=sess&sslmode=disable").unwrap();
        assert_eq!(t.urls, ["postgres://u@h/db?sslmode=disable"]);
        assert_eq!(t.table.as_deref(), Some("sess"));
        assert_eq!(t.default_codec(), CodecName::Express);
        let t = Target::parse("redis-cluster://:pw@a:7000,b:7001?prefix=x:").unwrap();
        assert_eq!(t.urls, ["redis://:pw@a:7000", "redis://:pw@b:7001"]);
        assert!(!t.shown.contains("pw"));
    }

    #[test]
    fn addresses_to_probe() {
        let t = Target::parse("postgres://u:p@db.local/app?sslmode=disable").unwrap();
        assert_eq!(t.addresses(), [("db.local".to_owned(), 5432)]);
        let t = Target::parse("redis-cluster://a:7000,[::1]:7001").unwrap();
        assert_eq!(
            t.addresses(),
            [("a".to_owned(), 7000), ("::1".to_owned(), 7001)]
        );
        assert!(Target::parse("redis+unix:///tmp/r.sock")
            .unwrap()
            .addresses()
            .is_empty());
        assert!(Target::parse("sqlite://x.db")
            .unwrap()
            .addresses()
            .is_empty());
        let t = Target::parse("mysql://root@127.0.0.1:3306/test").unwrap();
        assert_eq!(t.addresses(), [("127.0.0.1".to_owned(), 3306)]);
    }

    #[test]
    fn bad_urls_are_usage_errors() {
        for bad in ["", "localhost:6379", "http://x", "redis://"] {
            let err = Target::parse(bad).unwrap_err();
            assert_eq!(err.exit, crate::error::Exit::Usage, "{bad}");
        }
        let tls =
            Target::parse("rediss://:secret@h:6380?ca=%2Fetc%2Fca.pem&prefix=app%3A").unwrap();
        assert_eq!(tls.urls, ["rediss://:secret@h:6380"]);
        assert_eq!(tls.ca.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(tls.prefix.as_deref(), Some("app:"));
        assert!(!tls.shown.contains("secret"));
        let seeds = Target::parse("redis-clusters://h1:7000,h2:7000").unwrap();
        assert_eq!(seeds.urls, ["rediss://h1:7000", "rediss://h2:7000"]);
        assert_eq!(seeds.kind, Kind::RedisCluster);
        // `?ca=` is a TLS parameter; elsewhere it goes to the driver as it is.
        let plain = Target::parse("redis://h?ca=x").unwrap();
        assert_eq!((plain.urls[0].as_str(), plain.ca), ("redis://h?ca=x", None));
    }
}
