//! `Inventory` (scan and count) against every store, on the real servers
//! (`SESSION_TEST_REDIS_URL`, `SESSION_TEST_POSTGRES_URL`, `SESSION_TEST_MYSQL_URL`, with the
//! project's defaults), plus a Redis Cluster of three masters the test starts itself. A
//! server that cannot be reached fails the test.
//!
//! Each test keeps to names of its own (a Redis prefix, a PostgreSQL schema, a MySQL
//! database, a connect-pg-simple table, a SQLite file) and removes them at the end, so that
//! it never counts another test's sessions.
#![cfg(all(
    feature = "memory",
    feature = "redis-cluster",
    feature = "postgres",
    feature = "mysql",
    feature = "sqlite"
))]

use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use session_core::{Clock, Record, SessionId, Store, StoreErrorKind, SystemClock};
use session_stores::{
    ConnectPgStore, ConnectRedisStore, Cursor, Inventory, MemoryStore, MySqlStore, PostgresStore,
    RedisStore, SqliteStore,
};
use time::OffsetDateTime;

const LIVE: usize = 120;
const EXPIRED: usize = 10;
const PAGE: usize = 7;

fn test_url(var: &str, default: &str) -> String {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => url,
        _ => default.to_owned(),
    }
}

fn redis_url() -> String {
    test_url("SESSION_TEST_REDIS_URL", "redis://127.0.0.1:6379")
}

fn postgres_url() -> String {
    test_url(
        "SESSION_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    )
}

fn mysql_url() -> String {
    test_url("SESSION_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
}

/// A name no other test (nor another run of this one) uses.
fn unique(what: &str) -> String {
    let id = SessionId::generate().unwrap();
    let tail: String = id
        .as_str()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(10)
        .collect();
    format!("inv_{what}_{}_{}", std::process::id(), tail.to_lowercase())
}

/// What a test created: the live sessions (and their records), and the expired ids.
struct Seeded {
    live: HashMap<SessionId, Record>,
    expired: Vec<SessionId>,
}

/// Creates `LIVE` sessions expiring in two hours (every third bound to `user` when given)
/// and `EXPIRED` that expired a minute ago.
async fn seed<S: Store>(store: &S, user: Option<&str>, now: OffsetDateTime) -> Seeded {
    let mut live = HashMap::new();
    for n in 0..LIVE {
        let id = SessionId::generate().unwrap();
        let payload = format!(r#"{{"d":{{"n":{n}}},"c":0}}"#).into_bytes();
        // Whole milliseconds: what every store keeps.
        let expires = session_core::from_unix_millis(session_core::unix_millis(
            now + time::Duration::hours(2),
        ));
        let mut record = Record::new(payload, expires, 1);
        if n % 3 == 0 {
            record = record.with_user(user.map(str::to_owned));
        }
        store.create(&id, &record).await.unwrap();
        live.insert(id, record);
    }
    let mut expired = Vec::new();
    for _ in 0..EXPIRED {
        let id = SessionId::generate().unwrap();
        let record = Record::new(b"{}".to_vec(), now - time::Duration::minutes(1), 1);
        store.create(&id, &record).await.unwrap();
        expired.push(id);
    }
    Seeded { live, expired }
}

/// Scans `store` in pages of `PAGE` and checks that every live session comes back with its
/// record, exactly once (at least once on Redis, see below), that no expired one does, that a
/// page's cursor resumes from its text alone, and that `count` agrees.
async fn check<S: Inventory>(
    name: &str,
    store: &S,
    seeded: &Seeded,
    now: OffsetDateTime,
    exact_pages: bool,
    compare_payload: bool,
) {
    let mut seen: HashMap<SessionId, usize> = HashMap::new();
    let (mut after, mut pages) = (None::<Cursor>, 0);
    loop {
        // Resuming from the cursor's text must work: that is what a resumable job keeps.
        let resumed = after.as_ref().map(|c| Cursor::new(c.as_str().to_owned()));
        let page = store.scan(resumed.as_ref(), PAGE, now).await.unwrap();
        pages += 1;
        assert!(pages < 10_000, "{name}: the scan does not end");
        if exact_pages {
            assert!(page.entries.len() <= PAGE, "{name}: a page over its limit");
        }
        for (id, record) in page.entries {
            if let Some(created) = seeded.live.get(&id) {
                assert_eq!(record.expires_at, created.expires_at, "{name}: expiry");
                if compare_payload {
                    assert_eq!(record.payload, created.payload, "{name}: payload");
                    assert_eq!(record.user, created.user, "{name}: user");
                }
                *seen.entry(id).or_default() += 1;
            }
            assert!(
                record.expires_at > now,
                "{name}: an expired session was listed"
            );
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    for id in seeded.live.keys() {
        let times = seen.get(id).copied().unwrap_or(0);
        // Redis' SCAN returns a key present throughout at least once, and twice only if
        // Redis shrinks its table meanwhile (other tests deleting many keys): tolerated there.
        if exact_pages {
            assert_eq!(times, 1, "{name}: a live session seen {times} times");
        } else {
            assert!(times >= 1, "{name}: a live session was not seen");
        }
    }
    for id in &seeded.expired {
        assert!(
            !seen.contains_key(id),
            "{name}: an expired session was seen"
        );
    }
    // SCAN's COUNT is a hint: Redis' pages may be larger.
    let least = if exact_pages { LIVE / PAGE } else { 2 };
    assert!(pages >= least, "{name}: {pages} pages for {LIVE} sessions");
    assert_eq!(
        store.count(now).await.unwrap(),
        LIVE as u64,
        "{name}: count"
    );
}

async fn drop_all<S: Store>(store: &S, seeded: &Seeded) {
    for id in seeded.live.keys().chain(&seeded.expired) {
        store.delete(id).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_scans_every_live_session_once() {
    let store = MemoryStore::new();
    let now = SystemClock.now();
    let seeded = seed(&store, Some("ann"), now).await;
    check("memory", &store, &seeded, now, true, true).await;
    let foreign = store.scan(Some(&Cursor::new("nope")), 5, now).await;
    assert_eq!(foreign.unwrap_err().kind(), StoreErrorKind::Backend);
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_scans_every_live_session_and_skips_the_user_index() {
    let prefix = format!("{}:", unique("redis"));
    let store = RedisStore::builder([redis_url()])
        .prefix(&prefix)
        .connect()
        .await
        .expect("Redis at SESSION_TEST_REDIS_URL");
    let now = SystemClock.now();
    let user = unique("user");
    let seeded = seed(&store, Some(&user), now).await;
    // Someone else's key under the prefix is not a session.
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let junk = format!("{prefix}junk");
    redis::cmd("SET")
        .arg(&junk)
        .arg("not a record")
        .exec_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        store.user_sessions(&user, now).await.unwrap().len(),
        LIVE.div_ceil(3)
    );
    check("redis", &store, &seeded, now, false, true).await;
    // A session that expired by its record (Redis keeps the key until its own clock says
    // so) is skipped: scan as if two hours and a second had passed.
    let later = now + time::Duration::hours(2) + time::Duration::seconds(1);
    let page = store.scan(None, 10_000, later).await.unwrap();
    assert!(page
        .entries
        .iter()
        .all(|(id, _)| !seeded.live.contains_key(id)));
    assert_eq!(store.count(later).await.unwrap(), 0);
    let foreign = store.scan(Some(&Cursor::new("nope")), 5, now).await;
    assert_eq!(foreign.unwrap_err().kind(), StoreErrorKind::Backend);

    store.delete_user_sessions(&user, None).await.unwrap();
    drop_all(&store, &seeded).await;
    redis::cmd("DEL")
        .arg(&junk)
        .exec_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(store.count(now).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_redis_scans_with_the_ttl_as_expiry() {
    let prefix = format!("{}:", unique("connect_redis"));
    let native = RedisStore::builder([redis_url()])
        .prefix(&prefix)
        .connect()
        .await
        .expect("Redis at SESSION_TEST_REDIS_URL");
    let store = ConnectRedisStore::new(native);
    let now = SystemClock.now();
    let seeded = seed(&store, None, now).await;
    // The expiry comes back as `now` + the key's TTL: within the time the test took.
    let mut seen = HashSet::new();
    let mut after = None;
    loop {
        let page = store.scan(after.as_ref(), PAGE, now).await.unwrap();
        for (id, record) in page.entries {
            if let Some(created) = seeded.live.get(&id) {
                let drift = created.expires_at - record.expires_at;
                assert!(drift >= time::Duration::ZERO && drift < time::Duration::minutes(1));
                assert_eq!(record.payload, created.payload);
                seen.insert(id);
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), LIVE);
    assert_eq!(store.count(now).await.unwrap(), LIVE as u64);
    drop_all(&store, &seeded).await;
    assert_eq!(store.count(now).await.unwrap(), 0);
}

/// Three cluster masters on spare ports, killed and removed on drop.
struct Cluster {
    nodes: Vec<(u16, Child)>,
    dir: PathBuf,
}

impl Cluster {
    fn start() -> Cluster {
        let dir = std::env::temp_dir().join(unique("cluster"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut nodes = Vec::new();
        for _ in 0..3 {
            // A cluster node also listens on port + 10000.
            let port = loop {
                let port = TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .port();
                if port < 55_000 && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
                    break port;
                }
            };
            let node_dir = dir.join(port.to_string());
            std::fs::create_dir_all(&node_dir).unwrap();
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args([
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--cluster-enabled",
                    "yes",
                ])
                .args(["--cluster-config-file", "nodes.conf"])
                .arg("--dir")
                .arg(&node_dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server on the PATH");
            nodes.push((port, child));
        }
        let cluster = Cluster { nodes, dir };
        for (port, _) in &cluster.nodes {
            let up = (0..100).any(|_| {
                std::thread::sleep(Duration::from_millis(50));
                cli(*port, &["PING"]).trim() == "PONG"
            });
            assert!(up, "redis-server on port {port} did not start");
        }
        let mut create = Command::new("redis-cli");
        create.args(["--cluster", "create"]);
        for (port, _) in &cluster.nodes {
            create.arg(format!("127.0.0.1:{port}"));
        }
        let status = create
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "redis-cli --cluster create failed");
        let ready = (0..200).any(|_| {
            std::thread::sleep(Duration::from_millis(50));
            cluster
                .nodes
                .iter()
                .all(|(port, _)| cli(*port, &["CLUSTER", "INFO"]).contains("cluster_state:ok"))
        });
        assert!(ready, "the cluster did not become ready");
        cluster
    }

    fn urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|(port, _)| format!("redis://127.0.0.1:{port}"))
            .collect()
    }
}

fn cli(port: u16, args: &[&str]) -> String {
    Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stderr(Stdio::null())
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default()
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (_, child) in &mut self.nodes {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_cluster_scans_every_master() {
    let cluster = Cluster::start();
    let store = RedisStore::builder(cluster.urls())
        .connect()
        .await
        .expect("the test's own cluster");
    let now = SystemClock.now();
    let seeded = seed(&store, Some("ann"), now).await;
    // The sessions are spread over the three masters.
    let on_each: Vec<usize> = cluster
        .nodes
        .iter()
        .map(|(port, _)| cli(*port, &["DBSIZE"]).trim().parse().unwrap_or(0))
        .collect();
    assert!(
        on_each.iter().all(|&n| n > 0),
        "keys per master: {on_each:?}"
    );
    check("redis-cluster", &store, &seeded, now, false, true).await;
    // A single node's cursor means nothing to a cluster.
    let foreign = store.scan(Some(&Cursor::new("0")), 5, now).await;
    assert_eq!(foreign.unwrap_err().kind(), StoreErrorKind::Backend);
    drop_all(&store, &seeded).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_scans_by_id_and_counts() {
    let schema = unique("pg");
    // A schema of its own (first on the search path), so that only this test's rows count.
    let url = format!("{}?options=-c%20search_path%3D{schema}", postgres_url());
    let store = PostgresStore::connect(&url)
        .await
        .expect("PostgreSQL at SESSION_TEST_POSTGRES_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(store.pool())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let now = SystemClock.now();
    let seeded = seed(&store, Some("ann"), now).await;
    check("postgres", &store, &seeded, now, true, true).await;

    // connect-pg-simple's table, in the same schema.
    let pg = ConnectPgStore::new(store.clone()).table_name("connect_session");
    pg.create_table().await.unwrap();
    let json = seed(&pg, None, now).await;
    check("connect-pg", &pg, &json, now, true, true).await;

    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(store.pool())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn mysql_scans_by_id_and_counts() {
    let admin = MySqlStore::connect(&mysql_url())
        .await
        .expect("MariaDB at SESSION_TEST_MYSQL_URL");
    let database = unique("my");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
        .execute(admin.pool())
        .await
        .unwrap();
    let base = mysql_url();
    let url = match base.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{database}"),
        None => panic!("SESSION_TEST_MYSQL_URL names no database: {base}"),
    };
    let store = MySqlStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let now = SystemClock.now();
    let seeded = seed(&store, Some("ann"), now).await;
    check("mysql", &store, &seeded, now, true, true).await;
    store.pool().close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {database}")))
        .execute(admin.pool())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_scans_by_id_and_counts() {
    let file = std::env::temp_dir().join(format!("{}.db", unique("sqlite")));
    let store = SqliteStore::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let now = SystemClock.now();
    let seeded = seed(&store, Some("ann"), now).await;
    check("sqlite", &store, &seeded, now, true, true).await;
    store.pool().close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}
