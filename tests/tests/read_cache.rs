//! `CachedStore` over one Redis shared by two "instances": reads are answered from memory
//! within the TTL, a write on one instance is seen by the other once its TTL passed, and a
//! save from a stale cache conflicts, reloads past the cache and merges. Also measures the
//! round trips the cache saves on a read-heavy pattern (printed).

use std::time::Duration;

use serde_json::Value;
use session_core::{Clock, HttpRequest, SessionManager, Store};
use session_stores::{CachedStore, RedisStore};
use session_tests::http_suite::base_config;
use session_tests::store_suite::{or_skip, test_url};
use session_tests::support::{Instrumented, TestClock};

type Inner = Instrumented<RedisStore>;

fn manager(store: impl Store) -> SessionManager {
    SessionManager::new(base_config().build().unwrap(), store)
}

/// One request: `act` gets the session, the returned cookie is the one to send next time.
async fn request<F, Fut>(
    manager: &SessionManager,
    clock: &TestClock,
    cookie: &str,
    act: F,
) -> String
where
    F: FnOnce(session_core::Session) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut headers = reqwest::header::HeaderMap::new();
    if !cookie.is_empty() {
        headers.insert("cookie", cookie.parse().unwrap());
    }
    let view = HttpRequest {
        headers: &headers,
        peer: None,
        tls: false,
    };
    let session = manager.begin(&view, clock.now());
    act(session.clone()).await;
    let outcome = manager.finish(session, 200, clock.now()).await.unwrap();
    match outcome.set_cookie() {
        Some(set) => set.split(';').next().unwrap().to_owned(),
        None => cookie.to_owned(),
    }
}

async fn get(manager: &SessionManager, clock: &TestClock, cookie: &str, key: &str) -> Value {
    let mut value = Value::Null;
    request(manager, clock, cookie, |s| {
        let value = &mut value;
        async move { *value = s.get::<Value>(key).await.unwrap().unwrap_or(Value::Null) }
    })
    .await;
    value
}

async fn set(
    manager: &SessionManager,
    clock: &TestClock,
    cookie: &str,
    key: &str,
    v: i64,
) -> String {
    request(manager, clock, cookie, |s| async move {
        s.insert(key, v).await.unwrap()
    })
    .await
}

async fn redis(tag: &str) -> Option<Inner> {
    let url = test_url("SESSION_TEST_REDIS_URL", "redis://127.0.0.1:6379");
    let prefix = format!("test:read-cache:{tag}:{}:", std::process::id());
    let connected = RedisStore::builder([url]).prefix(prefix).connect().await;
    or_skip("redis", connected).map(Instrumented::new)
}

// Redis expires keys by its own clock: the test clock starts at the real time.
#[allow(clippy::disallowed_methods)]
fn clock() -> TestClock {
    TestClock::at(time::OffsetDateTime::now_utc())
}

#[tokio::test(flavor = "multi_thread")]
async fn two_cached_instances_stay_correct() {
    let Some(redis) = redis("two").await else {
        return;
    };
    let clock = clock();
    let ttl = Duration::from_secs(1);
    let cache = |c: &TestClock| {
        let c = c.clone();
        CachedStore::new(redis.clone(), move || c.now()).ttl(ttl)
    };
    let (store_a, store_b) = (cache(&clock), cache(&clock));
    let (a, b) = (manager(store_a.clone()), manager(store_b.clone()));

    let cookie = set(&a, &clock, "", "a", 1).await;
    assert_eq!(get(&b, &clock, &cookie, "a").await, 1); // B caches version 1
    set(&a, &clock, &cookie, "b", 2).await; // A writes version 2
                                            // Within B's TTL its cached copy answers: the documented staleness of reads.
    assert_eq!(get(&b, &clock, &cookie, "b").await, Value::Null);
    clock.advance(ttl);
    assert_eq!(
        get(&b, &clock, &cookie, "b").await,
        2,
        "not seen after the TTL"
    );

    // B holds version 2 in its cache; A writes version 3; B then writes from its stale copy.
    set(&a, &clock, &cookie, "c", 3).await;
    let before = redis.calls();
    set(&b, &clock, &cookie, "d", 4).await;
    // Cached load (0) + conflicting save + reload past the cache + merged save = 3 calls.
    assert_eq!(
        redis.calls() - before,
        3,
        "the stale save did not conflict and reload"
    );
    clock.advance(ttl);
    for (key, want) in [("a", 1), ("b", 2), ("c", 3), ("d", 4)] {
        assert_eq!(
            get(&a, &clock, &cookie, key).await,
            want,
            "key {key} after the merge"
        );
    }
    assert!(store_a.hits() > 0 && store_b.hits() > 0);
}

/// 10 page views per write, 200 requests, every request 50 ms apart (TTL 1 s).
async fn read_heavy(manager: &SessionManager, clock: &TestClock) {
    let mut cookie = set(manager, clock, "", "n", 0).await;
    for i in 1..200 {
        clock.advance(Duration::from_millis(50));
        if i % 10 == 0 {
            cookie = set(manager, clock, &cookie, "n", i).await;
        } else {
            get(manager, clock, &cookie, "n").await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cache_saves_round_trips_on_reads() {
    let Some(plain) = redis("plain").await else {
        return;
    };
    let Some(cached_inner) = redis("cached").await else {
        return;
    };
    let clock = clock();
    read_heavy(&manager(plain.clone()), &clock).await;
    let c = clock.clone();
    let cached =
        CachedStore::new(cached_inner.clone(), move || c.now()).ttl(Duration::from_secs(1));
    read_heavy(&manager(cached.clone()), &clock).await;
    let (without, with) = (plain.calls(), cached_inner.calls());
    println!(
        "read cache: 200 requests (1 write per 10), Redis round trips {without} without the \
         cache, {with} with it ({} loads answered from memory, {:.0}% saved)",
        cached.hits(),
        100.0 * (without - with) as f64 / without as f64
    );
    assert!(
        with * 2 < without,
        "the cache saved too little: {with} vs {without}"
    );
}
