//! Load + save per backend, and the round trips each costs.
//!
//! `cargo bench -p session-stores --all-features --bench backends`. Backends come from the
//! same environment variables as the store suite (`SESSION_TEST_REDIS_URL`,
//! `SESSION_TEST_POSTGRES_URL`, `SESSION_TEST_MYSQL_URL`, local defaults); an unreachable one
//! is skipped with a notice. Round trips are counted by a loopback proxy in front of a second
//! store: each burst of client bytes that follows the server's answer is one round trip. For
//! the SQL stores that count includes the `ping` sqlx's pool sends when a connection is
//! returned (unconditional in sqlx 0.9, off the request's path but on the wire).

// Which helpers run depends on the enabled backends.
#![cfg_attr(
    not(any(feature = "redis", feature = "postgres", feature = "mysql")),
    allow(dead_code)
)]
#![cfg_attr(
    not(any(
        feature = "memory",
        feature = "redis",
        feature = "postgres",
        feature = "mysql",
        feature = "sqlite"
    )),
    allow(unused_mut, unused_variables)
)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use criterion::Criterion;
use session_core::{Record, SessionId, Store};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Counts client request flights through a loopback proxy.
#[derive(Clone)]
struct Counter {
    addr: SocketAddr,
    flights: Arc<AtomicU64>,
}

impl Counter {
    async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let counter = Self {
            addr: listener.local_addr()?,
            flights: Arc::default(),
        };
        let flights = counter.flights.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let awaiting = Arc::new(AtomicBool::new(false));
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                let (f, a) = (flights.clone(), awaiting.clone());
                tokio::spawn(pump(cr, sw, move || {
                    if !a.swap(true, Ordering::SeqCst) {
                        f.fetch_add(1, Ordering::SeqCst);
                    }
                }));
                tokio::spawn(pump(sr, cw, move || {
                    awaiting.store(false, Ordering::SeqCst)
                }));
            }
        });
        Ok(counter)
    }

    fn count(&self) -> u64 {
        self.flights.load(Ordering::SeqCst)
    }
}

async fn pump(
    mut from: impl AsyncReadExt + Unpin,
    mut to: impl AsyncWriteExt + Unpin,
    on_bytes: impl Fn(),
) {
    let mut buf = vec![0; 64 * 1024];
    while let Ok(n) = from.read(&mut buf).await {
        if n == 0 {
            return;
        }
        on_bytes();
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

// Records must expire near the real time: Redis drops keys by its own clock.
#[allow(clippy::disallowed_methods)]
fn wall_now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A session to work on, and its current version.
struct Fixture {
    id: SessionId,
    version: AtomicU64,
    payload: Vec<u8>,
}

impl Fixture {
    async fn new<S: Store>(store: &S) -> Self {
        let id = SessionId::generate().expect("randomness");
        let payload = br#"{"d":{"user_id":42,"csrf":"0123456789abcdef","cart":[1,2,3]},"c":0}"#;
        let record = Record::new(payload.to_vec(), wall_now() + Duration::from_secs(3600), 1);
        store.create(&id, &record).await.expect("create");
        Self {
            id,
            version: AtomicU64::new(1),
            payload: payload.to_vec(),
        }
    }

    async fn load<S: Store>(&self, store: &S) -> Record {
        store
            .load(&self.id, wall_now())
            .await
            .expect("load")
            .expect("live")
    }

    async fn save<S: Store>(&self, store: &S, loaded: &Record) {
        let next = loaded.version + 1;
        let record = Record::new(self.payload.clone(), loaded.expires_at, next);
        store
            .save(&self.id, &record, loaded.version)
            .await
            .expect("save");
        self.version.store(next, Ordering::SeqCst);
    }
}

/// Round trips per load and per save, averaged over a few hundred of each.
async fn round_trips<S: Store>(store: &S, counter: &Counter) -> (f64, f64) {
    const N: u64 = 200;
    let fixture = Fixture::new(store).await;
    // Warm up: prepared statements, script cache, pool connections.
    let loaded = fixture.load(store).await;
    fixture.save(store, &loaded).await;
    let start = counter.count();
    let mut last = None;
    for _ in 0..N {
        last = Some(fixture.load(store).await);
    }
    let loads = counter.count() - start;
    let start = counter.count();
    let mut loaded = last.expect("loaded");
    for _ in 0..N {
        fixture.save(store, &loaded).await;
        loaded = Record::new(loaded.payload, loaded.expires_at, loaded.version + 1);
    }
    let saves = counter.count() - start;
    (loads as f64 / N as f64, saves as f64 / N as f64)
}

fn bench<S: Store>(c: &mut Criterion, rt: &tokio::runtime::Runtime, name: &str, store: S) {
    let fixture = rt.block_on(Fixture::new(&store));
    c.bench_function(&format!("{name}/load+save"), |b| {
        b.to_async(rt).iter(|| async {
            let loaded = fixture.load(&store).await;
            fixture.save(&store, &loaded).await;
        })
    });
}

/// The memory store's own paths, without a runtime: a create with the delete that keeps the
/// store at a steady size, in a store of 100,000 sessions (the default capacity's worth) and
/// in one of 100 (most shards empty, so that most deletes empty their shard); and a load.
#[cfg(feature = "memory")]
fn bench_memory(c: &mut Criterion) {
    use session_core::ImmediateStore;
    let now = wall_now();
    let payload = br#"{"d":{"user_id":42,"csrf":"0123456789abcdef","cart":[1,2,3]},"c":0}"#;
    let record = Record::new(payload.to_vec(), now + Duration::from_secs(3600), 1);
    for live in [100_000, 100] {
        let store = session_stores::MemoryStore::new();
        // A ring of ids: each create replaces the session created `live` creates earlier.
        let ids: Vec<SessionId> = (0..live + live / 4)
            .map(|_| SessionId::generate().expect("randomness"))
            .collect();
        for id in &ids[..live] {
            ImmediateStore::create(&store, id, &record).expect("create");
        }
        let mut next = live;
        c.bench_function(&format!("memory/create+delete/{live}"), |b| {
            b.iter(|| {
                let id = &ids[next % ids.len()];
                ImmediateStore::create(&store, id, &record).expect("create");
                ImmediateStore::delete(&store, &ids[(next - live) % ids.len()]).expect("delete");
                next += 1;
            })
        });
        if live == 100_000 {
            let mut at = 0;
            c.bench_function("memory/load", |b| {
                b.iter(|| {
                    at = (at + 7919) % ids.len();
                    ImmediateStore::load(&store, &ids[at], now).expect("load")
                })
            });
        }
    }
}

/// Connects a store for timing and one through a counting proxy; `None` (with a notice)
/// when the backend is unreachable.
fn measure<S, F, Fut>(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    name: &str,
    url: &str,
    upstream: SocketAddr,
    connect: F,
) where
    S: Store,
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<S, session_core::StoreError>>,
{
    let store = match rt.block_on(connect(url.to_owned())) {
        Ok(store) => store,
        Err(err) => {
            eprintln!("NOTICE: skipping the {name} benchmark: {err}");
            return;
        }
    };
    let counted = rt.block_on(async {
        let counter = Counter::start(upstream).await.expect("proxy");
        let proxied = url.replace(&upstream.to_string(), &counter.addr.to_string());
        let counted = connect(proxied).await.expect("connect through the proxy");
        round_trips(&counted, &counter).await
    });
    println!(
        "{name}: round trips per load = {:.2}, per save = {:.2}",
        counted.0, counted.1
    );
    bench(c, rt, name, store);
}

fn env(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// The `host:port` of a URL whose authority is written as an IP address and port.
fn upstream(url: &str) -> SocketAddr {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    host_port
        .parse()
        .unwrap_or_else(|_| panic!("the benchmark needs an ip:port URL, got {url}"))
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();

    #[cfg(feature = "memory")]
    {
        println!("memory: round trips per load = 0, per save = 0");
        bench(&mut c, &rt, "memory", session_stores::MemoryStore::new());
        bench_memory(&mut c);
    }
    #[cfg(feature = "redis")]
    {
        let url = env("SESSION_TEST_REDIS_URL", "redis://127.0.0.1:6379");
        measure(&mut c, &rt, "redis", &url, upstream(&url), |u| async move {
            session_stores::RedisStore::builder([u])
                .prefix("sess-bench:")
                .connect()
                .await
        });
    }
    #[cfg(feature = "postgres")]
    {
        let url = env(
            "SESSION_TEST_POSTGRES_URL",
            "postgres://postgres@127.0.0.1:5432/test",
        );
        measure(
            &mut c,
            &rt,
            "postgres",
            &url,
            upstream(&url),
            |u| async move {
                let store = session_stores::PostgresStore::connect(&u).await?;
                store.migrate().await?;
                Ok(store)
            },
        );
    }
    #[cfg(feature = "mysql")]
    {
        let url = env("SESSION_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test");
        measure(&mut c, &rt, "mysql", &url, upstream(&url), |u| async move {
            let store = session_stores::MySqlStore::connect(&u).await?;
            store.migrate().await?;
            Ok(store)
        });
    }
    #[cfg(feature = "sqlite")]
    {
        let path = std::env::temp_dir().join(format!("session-bench-{}.db", std::process::id()));
        let url = format!("sqlite://{}", path.display());
        let store = rt.block_on(async {
            let store = session_stores::SqliteStore::connect(&url).await?;
            store.migrate().await?;
            Ok::<_, session_core::StoreError>(store)
        });
        match store {
            Ok(store) => {
                println!("sqlite: embedded, no network round trips");
                bench(&mut c, &rt, "sqlite", store);
            }
            Err(err) => eprintln!("NOTICE: skipping the sqlite benchmark: {err}"),
        }
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
    c.final_summary();
}
