//! One session truth across a fleet: three `fleet-node` processes of different adapters
//! (axum, actix-web, warp) share one store and one secret behind a round-robin TCP proxy on
//! loopback. A client logs in, increments a counter 300 times, checking every answer, and
//! logs out; each request opens a new connection, so consecutive requests land on different
//! nodes. Once on Redis (`SESSION_TEST_REDIS_URL`), once on PostgreSQL
//! (`SESSION_TEST_POSTGRES_URL`); skipped with a notice when unreachable unless `CI=true`.
//!
//! Then the same three nodes each with the server-invalidated `CachedStore`: after a write,
//! a logout or a revocation on one node returns, the other two never serve the old record.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use session_core::Store;
use session_stores::{PostgresStore, RedisStore};
use session_tests::store_suite::{or_skip, test_url};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, ChildStdout, Command};

const ADAPTERS: [&str; 3] = ["axum", "actix", "warp"];

/// The fleet's processes; killed when dropped, also when the test fails.
struct Fleet {
    nodes: Vec<Child>,
    outputs: Vec<BufReader<ChildStdout>>,
    addrs: Vec<SocketAddr>,
}

impl Fleet {
    /// `cached`: each node's store behind the server-invalidated `CachedStore`.
    async fn start(url: &str, prefix: &str, cached: bool) -> Self {
        let mut nodes = Vec::new();
        let mut outputs = Vec::new();
        let mut addrs = Vec::new();
        for adapter in ADAPTERS {
            let mode = if cached { "cached" } else { "plain" };
            let mut child = Command::new(env!("CARGO_BIN_EXE_fleet-node"))
                .args([adapter, url, prefix, mode])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .unwrap();
            let mut stdout = BufReader::new(child.stdout.take().unwrap());
            let mut line = String::new();
            stdout.read_line(&mut line).await.unwrap();
            let addr = line
                .strip_prefix("listening ")
                .unwrap_or_else(|| panic!("{adapter} node did not start: {line:?}"))
                .trim()
                .parse()
                .unwrap();
            nodes.push(child);
            outputs.push(stdout);
            addrs.push(addr);
        }
        Self {
            nodes,
            outputs,
            addrs,
        }
    }

    /// Closes each node's standard input (it stops) and returns what it printed last.
    async fn stop(mut self) -> Vec<String> {
        let mut last = Vec::new();
        for (node, output) in self.nodes.iter_mut().zip(&mut self.outputs) {
            drop(node.stdin.take());
            let mut line = String::new();
            output.read_line(&mut line).await.unwrap();
            last.push(line.trim().to_owned());
        }
        last
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            let _ = node.start_kill();
        }
    }
}

/// A round-robin TCP proxy: each accepted connection goes to the next node. Returns its
/// address and the connections each node got.
async fn proxy(nodes: Vec<SocketAddr>) -> (SocketAddr, Arc<Vec<AtomicUsize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served: Arc<Vec<AtomicUsize>> =
        Arc::new(nodes.iter().map(|_| AtomicUsize::new(0)).collect());
    let counts = served.clone();
    tokio::spawn(async move {
        let mut next = 0;
        while let Ok((mut client, _)) = listener.accept().await {
            let node = next % nodes.len();
            next += 1;
            counts[node].fetch_add(1, Ordering::SeqCst);
            let target = nodes[node];
            tokio::spawn(async move {
                if let Ok(mut upstream) = TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            });
        }
    });
    (addr, served)
}

struct Client {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Client {
    async fn post(&mut self, path: &str, body: &'static str) -> String {
        let mut request = self.http.post(format!("{}{path}", self.base)).body(body);
        if !self.cookie.is_empty() {
            request = request.header("cookie", &self.cookie);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "POST {path}");
        if let Some(set) = response.headers().get("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            // A cleared cookie (logout) has an empty value.
            self.cookie = if pair.ends_with('=') {
                String::new()
            } else {
                pair.to_owned()
            };
        }
        response.text().await.unwrap()
    }

    async fn get(&mut self, path: &str) -> String {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if !self.cookie.is_empty() {
            request = request.header("cookie", &self.cookie);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.unwrap()
    }
}

async fn one_session_across(backend: &str, url: &str, prefix: &str) {
    let fleet = Fleet::start(url, prefix, false).await;
    let (addr, served) = proxy(fleet.addrs.clone()).await;
    let http = reqwest::Client::builder()
        // A new connection per request: the proxy sends each one to the next node.
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut client = Client {
        http,
        base: format!("http://{addr}"),
        cookie: String::new(),
    };
    client.post("/regenerate", "").await; // log in: a fresh id...
    client.post("/set/user", "\"ann\"").await; // ...bound to the user
    for expected in 1..=300u32 {
        let n = client.post("/incr/n", "").await;
        assert_eq!(
            n,
            expected.to_string(),
            "{backend}: hop {expected} saw another counter"
        );
        if expected % 50 == 0 {
            assert_eq!(
                client.get("/get/user").await,
                "\"ann\"",
                "{backend}: user lost"
            );
        }
    }
    assert_eq!(
        client.get("/get/n").await,
        "300",
        "{backend}: final counter"
    );
    client.post("/destroy", "").await; // log out
    assert_eq!(
        client.get("/get/n").await,
        "null",
        "{backend}: still logged in after logout"
    );
    let per_node: Vec<usize> = served.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    println!("fleet on {backend}: 300 increments exact; connections per node {ADAPTERS:?} = {per_node:?}");
    assert!(
        per_node.iter().all(|&n| n >= 100),
        "uneven round robin: {per_node:?}"
    );
    drop(fleet);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_on_redis_shares_one_session() {
    let url = test_url("SESSION_TEST_REDIS_URL", "redis://127.0.0.1:6379");
    if or_skip("redis", RedisStore::connect(&url).await).is_none() {
        return;
    }
    let prefix = format!("test:fleet:{}:", std::process::id());
    one_session_across("redis", &url, &prefix).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_on_postgres_shares_one_session() {
    let url = test_url(
        "SESSION_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    );
    if or_skip("postgres", PostgresStore::connect(&url).await).is_none() {
        return;
    }
    one_session_across("postgres", &url, "").await;
}

/// One request straight to a node: the status, the body and the cookie to send next (the
/// one sent, unless the answer set another; empty once cleared).
async fn call(
    http: &reqwest::Client,
    node: SocketAddr,
    method: reqwest::Method,
    path: &str,
    body: &'static str,
    cookie: &str,
) -> (u16, String, String) {
    let mut request = http
        .request(method, format!("http://{node}{path}"))
        .body(body);
    if !cookie.is_empty() {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let next = match response.headers().get("set-cookie") {
        Some(set) => {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            if pair.ends_with('=') {
                String::new()
            } else {
                pair.to_owned()
            }
        }
        None => cookie.to_owned(),
    };
    (status, response.text().await.unwrap(), next)
}

/// Three cached nodes; on each round node A writes, logs out or has the user's sessions
/// revoked by an operator's tool, and the instant that returns, B and C read the session
/// in a tight loop: not one read may show the record from before.
async fn no_stale_read_across<S: Store>(backend: &str, url: &str, prefix: &str, admin: S) {
    const ROUNDS: u32 = 200;
    const READS: usize = 10;
    let fleet = Fleet::start(url, prefix, true).await;
    let [a, b, c] = [fleet.addrs[0], fleet.addrs[1], fleet.addrs[2]];
    let http = reqwest::Client::new();
    let (get, post) = (reqwest::Method::GET, reqwest::Method::POST);
    let mut stale = 0;
    let mut reads_after = 0;
    for round in 0..ROUNDS {
        // Log in on A (bound to the user `u`), with a value.
        let (_, _, cookie) = call(&http, a, post.clone(), "/login", "", "").await;
        let (status, _, cookie) = call(&http, a, post.clone(), "/set/n", "1", &cookie).await;
        assert_eq!(status, 200, "{backend}: round {round}: set on A");
        // B and C load it, then answer it from their caches.
        for node in [b, c, b, c] {
            let (_, n, _) = call(&http, node, get.clone(), "/get/n", "", &cookie).await;
            assert_eq!(n, "1", "{backend}: round {round}: warm read");
        }
        // A writes: B and C see the new value at once.
        call(&http, a, post.clone(), "/set/n", "2", &cookie).await;
        for node in [b, c] {
            let (_, n, _) = call(&http, node, get.clone(), "/get/n", "", &cookie).await;
            reads_after += 1;
            if n != "2" {
                stale += 1;
                eprintln!("{backend}: round {round}: read {n} after the write of 2");
            }
        }
        for node in [b, c] {
            call(&http, node, get.clone(), "/get/n", "", &cookie).await;
        }
        // The session ends on A, or everywhere from outside: B and C never serve it again.
        if round % 2 == 0 {
            call(&http, a, post.clone(), "/destroy", "", &cookie).await;
        } else {
            admin.delete_user_sessions("u", None).await.unwrap();
        }
        for i in 0..READS {
            let node = if i % 2 == 0 { b } else { c };
            let (_, n, _) = call(&http, node, get.clone(), "/get/n", "", &cookie).await;
            reads_after += 1;
            if n != "null" {
                stale += 1;
                eprintln!("{backend}: round {round}: read {n} after the session ended");
            }
        }
    }
    let last = fleet.stop().await;
    println!("cached fleet on {backend}: {reads_after} reads right after a write or a revocation, {stale} stale; nodes {ADAPTERS:?}:");
    let mut hits = Vec::new();
    for line in &last {
        println!("  {line}");
        let figure = |name: &str| -> u64 {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no {name} in {line:?}"))
        };
        assert_eq!(
            figure("bypassed"),
            0,
            "{backend}: the link went down: {line}"
        );
        hits.push(figure("hits"));
    }
    assert_eq!(stale, 0, "{backend}: stale reads");
    // B and C answered at least the second warm read and the read after each write from
    // memory (more: a record is re-cached after each invalidation).
    assert!(
        hits[1] >= u64::from(ROUNDS) && hits[2] >= u64::from(ROUNDS),
        "{backend}: the caches were not used: {hits:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cached_fleet_on_redis_never_serves_a_stale_record() {
    let url = test_url("SESSION_TEST_REDIS_URL", "redis://127.0.0.1:6379");
    let prefix = format!("test:fleet-cache:{}:", std::process::id());
    let Some(admin) = or_skip(
        "redis",
        RedisStore::builder([url.as_str()])
            .prefix(prefix.clone())
            .connect()
            .await,
    ) else {
        return;
    };
    no_stale_read_across("redis", &url, &prefix, admin).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cached_fleet_on_postgres_never_serves_a_stale_record() {
    let url = test_url(
        "SESSION_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    );
    let Some(admin) = or_skip("postgres", PostgresStore::connect(&url).await) else {
        return;
    };
    no_stale_read_across("postgres", &url, "", admin).await;
}
