//! `rediss://` against a real `redis-server` with TLS that this test starts on a spare
//! loopback port (and kills by pid), with a CA and a server certificate made here by rcgen:
//! the store suite passes over TLS, on the store's URL and on the application's own
//! `ConnectionManager`; the store reconnects after a restart; a CA that did not sign the
//! server's certificate fails `connect` at once, saying the certificate was not trusted.
//! A missing `redis-server` fails these tests; they never skip.
#![cfg(feature = "redis-tls")]
// Real servers on real clocks: waits are bounded in wall time and records expire in real time.
#![allow(clippy::disallowed_methods)]

mod redis_procs;

use std::time::{Duration, Instant};

use redis_procs::tls::{ca, Certs};
use redis_procs::{spare_port, Proc};
use session_core::{Record, SessionId, Store, StoreErrorKind};
use session_stores::RedisStore;
use session_tests::store_suite::{run_store_suite, run_user_index_suite, CASES, USER_INDEX_CASES};
use time::OffsetDateTime;

/// A TLS `redis-server` whose certificate a fresh CA signed.
struct TlsRedis {
    ca_pem: String,
    server: Proc,
    _certs: Certs,
}

impl TlsRedis {
    fn start() -> Self {
        let certs = Certs::new();
        let server = certs.server(spare_port(), "node", &[]);
        Self {
            ca_pem: certs.ca_pem.clone(),
            server,
            _certs: certs,
        }
    }

    fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}", self.server.port)
    }
}

fn record(payload: &[u8]) -> Record {
    Record::new(
        payload.to_vec(),
        OffsetDateTime::now_utc() + time::Duration::minutes(5),
        1,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_store_suite_passes_over_tls() {
    let redis = TlsRedis::start();
    let store = RedisStore::builder([redis.url()])
        .tls_ca_pem(redis.ca_pem.clone())
        .prefix("tls:")
        .timeout(Duration::from_secs(2))
        .connect()
        .await
        .expect("connects over TLS with the test CA");
    assert!(format!("{store:?}").contains("TLS"), "{store:?}");
    assert_eq!(
        run_store_suite("redis-tls", store.clone()).await,
        CASES.len()
    );
    assert_eq!(
        run_user_index_suite("redis-tls", store).await,
        USER_INDEX_CASES.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_store_suite_passes_on_the_applications_own_connection_manager() {
    let redis = TlsRedis::start();
    let client = redis::Client::build_with_tls(
        redis.url().as_str(),
        redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(redis.ca_pem.clone().into_bytes()),
        },
    )
    .expect("a TLS client");
    let manager = redis::aio::ConnectionManager::new(client)
        .await
        .expect("the application's connection manager");
    let store = RedisStore::from_connection_manager(manager)
        .prefix("own:")
        .connect()
        .await
        .expect("a store on the given connection");
    assert_eq!(
        run_store_suite("redis-own-manager", store).await,
        CASES.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_store_suite_passes_on_the_applications_own_multiplexed_connection() {
    let redis = TlsRedis::start();
    let client = redis::Client::build_with_tls(
        redis.url().as_str(),
        redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(redis.ca_pem.clone().into_bytes()),
        },
    )
    .expect("a TLS client");
    let conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("the application's connection");
    let store = RedisStore::from_multiplexed_connection(conn)
        .connect()
        .await
        .expect("a store on the given connection");
    assert_eq!(
        run_store_suite("redis-own-multiplexed", store).await,
        CASES.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_store_reconnects_after_a_restart() {
    let mut redis = TlsRedis::start();
    let store = RedisStore::builder([redis.url()])
        .tls_ca_pem(redis.ca_pem.clone())
        .timeout(Duration::from_millis(500))
        .connect()
        .await
        .expect("connects over TLS");
    let id = SessionId::generate().unwrap();
    store.create(&id, &record(b"before")).await.expect("create");

    redis.server.kill();
    let err = store
        .load(&id, OffsetDateTime::now_utc())
        .await
        .expect_err("the server is down");
    assert!(
        matches!(
            err.kind(),
            StoreErrorKind::Unavailable | StoreErrorKind::Timeout
        ),
        "{err}"
    );

    redis.server.spawn();
    let started = Instant::now();
    let id = SessionId::generate().unwrap();
    loop {
        match store.create(&id, &record(b"after")).await {
            Ok(()) => break,
            Err(err) => assert!(
                started.elapsed() < Duration::from_secs(15),
                "no reconnect after the restart: {err}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let loaded = store.load(&id, OffsetDateTime::now_utc()).await.unwrap();
    assert_eq!(loaded.expect("saved after the restart").payload, b"after");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_ca_fails_at_connect_saying_the_certificate_was_not_trusted() {
    let redis = TlsRedis::start();
    let (other_ca, _) = ca("another CA");
    let started = Instant::now();
    let connect = RedisStore::builder([redis.url()])
        .tls_ca_pem(other_ca)
        .timeout(Duration::from_secs(5))
        .connect();
    let err = tokio::time::timeout(Duration::from_secs(10), connect)
        .await
        .expect("connect must fail, not hang")
        .expect_err("a CA that did not sign the server's certificate");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "failed only at the timeout: {err}"
    );
    eprintln!("wrong CA: {err}");
    assert_eq!(err.kind(), StoreErrorKind::Backend, "{err}");
    assert!(err.to_string().contains("not trusted"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_private_ca_the_system_roots_do_not_trust_it_either() {
    let redis = TlsRedis::start();
    let err = tokio::time::timeout(
        Duration::from_secs(10),
        RedisStore::builder([redis.url()]).connect(),
    )
    .await
    .expect("connect must fail, not hang")
    .expect_err("the system's roots do not know the test CA");
    assert!(err.to_string().contains("not trusted"), "{err}");
}

/// A spare port whose cluster bus port (10000 higher) is free too.
#[cfg(feature = "redis-cluster")]
fn spare_cluster_port() -> u16 {
    loop {
        let port = spare_port();
        if port < 55_000 && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

#[cfg(feature = "redis-cluster")]
#[tokio::test(flavor = "multi_thread")]
async fn the_store_suite_passes_on_a_cluster_over_tls() {
    let certs = Certs::new();
    let cluster_args = [
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        "nodes.conf",
        "--cluster-node-timeout",
        "2000",
        "--tls-cluster",
        "yes",
        "--tls-replication",
        "yes",
    ];
    let nodes: Vec<Proc> = (0..3)
        .map(|i| certs.server(spare_cluster_port(), &format!("node-{i}"), &cluster_args))
        .collect();
    let ca = certs.path("ca.pem");
    let mut create = std::process::Command::new("redis-cli");
    create.args(["--tls", "--cacert", &ca, "--cluster", "create"]);
    for node in &nodes {
        create.arg(format!("127.0.0.1:{}", node.port));
    }
    let status = create
        .args(["--cluster-replicas", "0", "--cluster-yes"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("redis-cli");
    assert!(status.success(), "redis-cli --cluster create failed");
    let started = Instant::now();
    while !nodes.iter().all(|n| {
        redis_procs::cli(n.port, &["--tls", "--cacert", &ca, "CLUSTER", "INFO"])
            .contains("cluster_state:ok")
    }) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "cluster never ok"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seeds: Vec<String> = nodes
        .iter()
        .map(|n| format!("rediss://127.0.0.1:{}", n.port))
        .collect();
    let store = RedisStore::builder(seeds)
        .tls_ca_pem(certs.ca_pem.clone())
        .connect()
        .await
        .expect("connects to the cluster over TLS");
    assert!(format!("{store:?}").contains("cluster"), "{store:?}");
    assert_eq!(
        run_store_suite("redis-cluster-tls", store.clone()).await,
        CASES.len()
    );
    assert_eq!(
        run_user_index_suite("redis-cluster-tls", store).await,
        USER_INDEX_CASES.len()
    );
}
