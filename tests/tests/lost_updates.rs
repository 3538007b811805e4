//! No lost updates, proven over real HTTP through every adapter (axum, actix-web, rocket,
//! warp, poem, salvo) against memory, Redis and PostgreSQL:
//!
//! - (a) 50 concurrent requests of one session, each setting a different key: all 50 keys
//!   are there at the end (the merge policy re-applies each request's write).
//! - (b) 32 clients incrementing one counter in one session (`POST /incr/n`, a read and a
//!   write in one request) for `SESSION_TEST_COUNTER_SECS` seconds (default 10): the final
//!   counter equals the number of requests that succeeded, and every other request got 409.
//! - The same counter under last-write-wins, kept as a documented example of the loss it
//!   allows: the final counter is (usually far) below the successes.
//!
//! Redis (`SESSION_TEST_REDIS_URL`) and PostgreSQL (`SESSION_TEST_POSTGRES_URL`) are
//! skipped with a notice when unreachable, unless `CI=true`.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use session_core::{Clock, ConflictPolicy, SessionManager, SessionTurns, Store};
use session_stores::{MemoryStore, PostgresStore, RedisStore};
use session_tests::http_suite::{base_config, servers, AdapterHarness};
use session_tests::store_suite::{or_skip, test_url};

// The servers stamp sessions with the real time, like a deployment; tests read nothing else.
#[allow(clippy::disallowed_methods)]
fn system_clock() -> Arc<dyn Clock> {
    Arc::new(time::OffsetDateTime::now_utc)
}

fn counter_duration() -> Duration {
    let secs = std::env::var("SESSION_TEST_COUNTER_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    Duration::from_secs(secs)
}

fn harnesses() -> [&'static dyn AdapterHarness; 6] {
    [
        &servers::Axum,
        &servers::Actix,
        &servers::Rocket,
        &servers::Warp,
        &servers::Poem,
        &servers::Salvo,
    ]
}

fn manager(store: impl Store, policy: ConflictPolicy, turns: SessionTurns) -> SessionManager {
    let config = base_config()
        .conflict_policy(policy)
        .session_turns(turns)
        // 50 writers of one session: each may lose the race many times before it merges.
        .conflict_retries(64)
        .build()
        .unwrap();
    SessionManager::new(config, store)
}

/// A client of one session: the cookie from the first response, sent by hand so that
/// concurrent requests all carry the same one.
struct Client {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Client {
    async fn open(base: String) -> Self {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .unwrap();
        let response = http
            .post(format!("{base}/set/opened"))
            .body("true")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        Self { http, base, cookie }
    }

    async fn post(&self, path: &str, body: &'static str) -> (u16, String) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    async fn get(&self, path: &str) -> String {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.unwrap()
    }
}

/// (a): 50 concurrent writers of different keys; all keys survive.
async fn fifty_keys(label: &str, adapter: &dyn AdapterHarness, store: impl Store) {
    let server = adapter
        .spawn(
            manager(store, ConflictPolicy::Merge, SessionTurns::Never),
            system_clock(),
        )
        .await
        .unwrap();
    let client = Arc::new(Client::open(format!("http://{}", server.addr())).await);
    let writers: Vec<_> = (0..50)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.post(&format!("/set/k{i}"), "1").await })
        })
        .collect();
    for writer in writers {
        let (status, body) = writer.await.unwrap();
        assert_eq!(status, 200, "{label}: a write failed with {status}: {body}");
    }
    for i in 0..50 {
        assert_eq!(
            client.get(&format!("/get/k{i}")).await,
            "1",
            "{label}: key k{i} was lost"
        );
    }
    println!("(a) {label}: 50 of 50 concurrent keys present");
}

/// (b): 32 clients increment one counter for `duration`. Returns (successes, conflicts,
/// final counter).
async fn counter(
    adapter: &dyn AdapterHarness,
    store: impl Store,
    policy: ConflictPolicy,
    turns: SessionTurns,
    duration: Duration,
) -> (u64, u64, u64) {
    let server = adapter
        .spawn(manager(store, policy, turns), system_clock())
        .await
        .unwrap();
    let client = Arc::new(Client::open(format!("http://{}", server.addr())).await);
    let ok = Arc::new(AtomicU64::new(0));
    let conflicts = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let timer = {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(duration).await;
            stop.store(true, Ordering::SeqCst);
        })
    };
    let clients: Vec<_> = (0..32)
        .map(|_| {
            let (client, ok, conflicts) = (client.clone(), ok.clone(), conflicts.clone());
            let stop = stop.clone();
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    match client.post("/incr/n", "").await {
                        (200, _) => ok.fetch_add(1, Ordering::Relaxed),
                        (409, _) => conflicts.fetch_add(1, Ordering::Relaxed),
                        (status, body) => panic!("unexpected {status}: {body}"),
                    };
                }
            })
        })
        .collect();
    timer.await.unwrap();
    for c in clients {
        c.await.unwrap();
    }
    let last: u64 = client.get("/get/n").await.parse().unwrap();
    (
        ok.load(Ordering::SeqCst),
        conflicts.load(Ordering::SeqCst),
        last,
    )
}

/// Runs (a), (b) and the last-write-wins counter through every adapter; `store` makes a
/// fresh store (or a fresh key space) for each run.
async fn prove<S: Store, F: Future<Output = S>>(backend: &str, store: impl Fn() -> F) {
    for adapter in harnesses() {
        let label = format!("{} x {backend}", adapter.name());
        fifty_keys(&label, adapter, store().await).await;
        let secs = counter_duration().as_secs_f64();
        let (ok, conflicts, last) = counter(
            adapter,
            store().await,
            ConflictPolicy::Merge,
            SessionTurns::Never,
            counter_duration(),
        )
        .await;
        println!(
            "(b) {label}, merge, no turns: {ok} succeeded ({:.0}/s), {conflicts} got 409, \
             final counter {last}",
            ok as f64 / secs
        );
        assert!(ok > 0, "{label}: no increment succeeded");
        assert_eq!(last, ok, "{label}: the counter lost or invented updates");
        // Taking turns (the default): one instance's requests of one session never conflict.
        let (ok, conflicts, last) = counter(
            adapter,
            store().await,
            ConflictPolicy::Merge,
            SessionTurns::Always,
            counter_duration(),
        )
        .await;
        println!(
            "(b) {label}, merge, turns: {ok} succeeded ({:.0}/s), {conflicts} got 409, final \
             counter {last}",
            ok as f64 / secs
        );
        assert_eq!(
            conflicts, 0,
            "{label}: a conflict on one instance with turns"
        );
        assert_eq!(last, ok, "{label}: the counter lost or invented updates");
        let (ok, conflicts, last) = counter(
            adapter,
            store().await,
            ConflictPolicy::LastWriteWins,
            SessionTurns::Never,
            Duration::from_secs(2),
        )
        .await;
        println!(
            "(b) {label}, last-write-wins: {ok} succeeded, {conflicts} got 409, final counter \
             {last} ({} increments lost)",
            ok - last
        );
        // Conflicts are rare here: only a save that lost the race more times than the retry
        // bound gives up.
        assert!(last <= ok, "{label}: more increments than requests");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_lost_updates_in_memory() {
    prove("memory", || async { MemoryStore::new() }).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_lost_updates_in_redis() {
    let url = test_url("SESSION_TEST_REDIS_URL", "redis://127.0.0.1:6379");
    let run = AtomicU64::new(0);
    let probe = RedisStore::connect(&url).await;
    if or_skip("redis", probe).is_none() {
        return;
    }
    prove("redis", || {
        let prefix = format!(
            "test:lost-updates:{}:{}:",
            std::process::id(),
            run.fetch_add(1, Ordering::SeqCst)
        );
        let url = url.clone();
        async move {
            RedisStore::builder([url])
                .prefix(prefix)
                .timeout(Duration::from_secs(15))
                .connect()
                .await
                .unwrap()
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_lost_updates_in_postgres() {
    let url = test_url(
        "SESSION_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    );
    let connect = || async {
        PostgresStore::builder(&url)
            .max_connections(16)
            // 32 writers queue on one row's lock, on a CI machine that may be busy too.
            .timeout(Duration::from_secs(15))
            .connect()
            .await
    };
    let migrated = async {
        let store = connect().await?;
        store.migrate().await?;
        Ok::<_, session_core::StoreError>(store)
    };
    if or_skip("postgres", migrated.await).is_none() {
        return;
    }
    // A pool per run, never shared between servers: sqlx ties each connection's socket to
    // the runtime that opened it, and actix-web runs one runtime per worker that dies with
    // the server, so a connection opened there and handed to the next server fails with an
    // I/O error (a 503).
    prove("postgres", || async {
        connect().await.expect("postgres, reachable a moment ago")
    })
    .await;
}
