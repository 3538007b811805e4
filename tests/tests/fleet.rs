//! One session truth across a fleet: three `fleet-node` processes of different adapters
//! (axum, actix-web, warp) share one store and one secret behind a round-robin TCP proxy on
//! loopback. A client logs in, increments a counter 300 times, checking every answer, and
//! logs out; each request opens a new connection, so consecutive requests land on different
//! nodes. Once on Redis (`SESSION_TEST_REDIS_URL`), once on PostgreSQL
//! (`SESSION_TEST_POSTGRES_URL`); skipped with a notice when unreachable unless `CI=true`.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use session_stores::{PostgresStore, RedisStore};
use session_tests::store_suite::{or_skip, test_url};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

const ADAPTERS: [&str; 3] = ["axum", "actix", "warp"];

/// The fleet's processes; killed when dropped, also when the test fails.
struct Fleet {
    nodes: Vec<Child>,
    addrs: Vec<SocketAddr>,
}

impl Fleet {
    async fn start(url: &str, prefix: &str) -> Self {
        let mut nodes = Vec::new();
        let mut addrs = Vec::new();
        for adapter in ADAPTERS {
            let mut child = Command::new(env!("CARGO_BIN_EXE_fleet-node"))
                .args([adapter, url, prefix])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .unwrap();
            let stdout = child.stdout.take().unwrap();
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).await.unwrap();
            let addr = line
                .strip_prefix("listening ")
                .unwrap_or_else(|| panic!("{adapter} node did not start: {line:?}"))
                .trim()
                .parse()
                .unwrap();
            nodes.push(child);
            addrs.push(addr);
        }
        Self { nodes, addrs }
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
    let fleet = Fleet::start(url, prefix).await;
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
