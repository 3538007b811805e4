//! The server-invalidated cache on Redis: the store suite through it; two instances, each
//! with its own cache, where one never reads what the other replaced or revoked (and how
//! long an invalidation takes); a link that is killed or goes silent serves nothing until
//! it is back (own `redis-server`, stopped with SIGSTOP); stores it cannot follow are refused.
#![cfg(feature = "redis")]
#![allow(clippy::disallowed_methods)]

mod cache_kit;
mod redis_procs;

use std::time::{Duration, Instant};

use cache_kit::{b_never_reads_what_a_replaced, now, record, summary, until_link};
use redis_procs::{cli, node, spare_port, TempDir};
use session_core::{SessionId, Store, StoreErrorKind};
use session_stores::{CachedStore, RedisStore};
use session_tests::store_suite::{or_skip, run_store_suite, test_url, CASES};

async fn redis(url: &str, prefix: &str) -> Option<RedisStore> {
    or_skip(
        "redis",
        RedisStore::builder([url]).prefix(prefix).connect().await,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_store_suite_passes_through_the_cache() {
    let url = test_url("SESSION_TEST_REDIS_URL", "redis://127.0.0.1:6379");
    let prefix = format!("test:cache-suite:{}:", std::process::id());
    let Some(store) = redis(&url, &prefix).await else {
        return;
    };
    let cached = CachedStore::redis(store).connect().await.unwrap();
    assert_eq!(run_store_suite("cached redis", cached).await, CASES.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instance_never_reads_what_another_replaced() {
    let url = test_url("SESSION_TEST_REDIS_URL", "redis://127.0.0.1:6379");
    let prefix = format!("test:cache-two:{}:", std::process::id());
    let (Some(a), Some(b)) = (redis(&url, &prefix).await, redis(&url, &prefix).await) else {
        return;
    };
    let a = CachedStore::redis(a).connect().await.unwrap();
    let b = CachedStore::redis(b).connect().await.unwrap();
    let delays = b_never_reads_what_a_replaced("redis", &a, &b, 1000, true).await;
    println!(
        "redis: a write reached the other instance's cache in {}",
        summary(delays)
    );
    println!("redis: B's cache: {:?}", b.stats());
    assert_eq!(b.stats().bypassed, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_link_serves_nothing_until_it_is_back() {
    let dir = TempDir::new("cache-link");
    let port = spare_port();
    let server = node(&dir, "redis", port, &[]);
    let url = format!("redis://127.0.0.1:{port}");
    let store = |timeout| {
        RedisStore::builder([url.as_str()])
            .timeout(timeout)
            .connect()
    };
    let a = store(Duration::from_secs(2)).await.unwrap();
    let heartbeat = Duration::from_millis(100);
    let b = CachedStore::redis(store(Duration::from_millis(300)).await.unwrap())
        .heartbeat(heartbeat)
        .connect()
        .await
        .unwrap();
    let id = SessionId::generate().unwrap();
    a.create(&id, &record(1)).await.unwrap();
    b.load(&id, now()).await.unwrap();
    b.load(&id, now()).await.unwrap();
    assert_eq!(b.stats().hits, 1);

    // Killed: the next load goes to Redis (the link is seen closed by that load, or it is
    // already back with an empty cache).
    let clients = cli(port, &["CLIENT", "LIST"]);
    let link = clients
        .lines()
        .find(|l| l.contains("name=session-cache-invalidations"))
        .and_then(|l| l.split_whitespace().next()?.strip_prefix("id="))
        .expect("the link in CLIENT LIST")
        .to_owned();
    assert_eq!(cli(port, &["CLIENT", "KILL", "ID", &link]).trim(), "1");
    a.save(&id, &record(2), 1).await.unwrap();
    let seen = b.load(&id, now()).await.unwrap().unwrap();
    assert_eq!(seen.version, 2, "a killed link served an old record");
    let stats = b.stats();
    assert_eq!((stats.link_losses, stats.hits), (1, 1), "{stats:?}");
    let back = until_link(&b, true, Duration::from_secs(5)).await;
    b.load(&id, now()).await.unwrap();
    assert_eq!(b.load(&id, now()).await.unwrap().unwrap().version, 2);
    assert!(
        b.stats().hits > 1,
        "not cached again once the link was back"
    );
    println!("redis: a killed link was back after {back:?}");

    // Silent: the server stops answering (SIGSTOP); the heartbeat finds it, and from then
    // on loads fail (the store is unreachable) rather than answer from memory.
    let pid = server.pid().unwrap().to_string();
    let signal = |sig: &str| {
        let status = std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap();
        assert!(status.success());
    };
    signal("-STOP");
    let found = until_link(&b, false, Duration::from_secs(2)).await;
    println!("redis: a silent link was found down after {found:?} (heartbeat {heartbeat:?})");
    assert!(
        found <= heartbeat * 3 + Duration::from_millis(100),
        "{found:?}"
    );
    let failed = b.load(&id, now()).await.unwrap_err();
    assert!(matches!(
        failed.kind(),
        StoreErrorKind::Timeout | StoreErrorKind::Unavailable
    ));
    signal("-CONT");
    until_link(&b, true, Duration::from_secs(5)).await;
    a.save(&id, &record(3), 2).await.unwrap();
    let start = Instant::now();
    loop {
        match b.load(&id, now()).await {
            Ok(Some(r)) => {
                assert_eq!(r.version, 3, "an old record after the link came back");
                break;
            }
            other => assert!(
                start.elapsed() < Duration::from_secs(5),
                "no answer after the server came back: {other:?}"
            ),
        }
    }
    drop(server);
}

#[tokio::test]
async fn stores_the_link_cannot_follow_are_refused() {
    // A lazily connected store on a TLS URL: refused before any connection is tried.
    #[cfg(feature = "redis-tls")]
    {
        let tls = RedisStore::builder(["rediss://127.0.0.1:1"])
            .connect_lazy()
            .unwrap();
        let refused = CachedStore::redis(tls).connect().await.err().unwrap();
        assert_eq!(refused.kind(), StoreErrorKind::Unsupported);
        assert!(refused.to_string().contains("rediss://"), "{refused}");
    }
    let nobody = RedisStore::builder([format!("redis://127.0.0.1:{}", spare_port())])
        .timeout(Duration::from_millis(300))
        .connect_lazy()
        .unwrap();
    let refused = CachedStore::redis(nobody).connect().await.err().unwrap();
    assert_eq!(refused.kind(), StoreErrorKind::Unavailable, "{refused}");
}
