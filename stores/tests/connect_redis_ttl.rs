//! A key that Node (or anyone) gave a TTL beyond the last instant a date can hold loads
//! through `ConnectRedisStore` with its expiry saturated, instead of overflowing. Needs Redis
//! at `SESSION_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`): this test never skips.
#![cfg(feature = "redis")]

use session_core::{SessionId, Store};
use session_stores::{ConnectRedisStore, RedisStore};
use time::macros::datetime;

#[tokio::test]
async fn a_connect_redis_key_with_a_ttl_beyond_year_9999_loads() {
    let url = std::env::var("SESSION_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned());
    let prefix = format!("test:connect-ttl:{}:", std::process::id());
    let store = RedisStore::builder([url.as_str()])
        .prefix(prefix.as_str())
        .connect()
        .await
        .expect("Redis at SESSION_TEST_REDIS_URL must be reachable");
    let store = ConnectRedisStore::new(store);
    let id = SessionId::generate().expect("randomness");
    let key = format!("{prefix}{}", id.as_str());
    let client = redis::Client::open(url.as_str()).expect("a Redis URL");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("a connection");
    // 9e15 ms: about 285,000 years, which Redis accepts.
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg(r#"{"cookie":{}}"#)
        .arg("PX")
        .arg(9_000_000_000_000_000i64)
        .query_async(&mut conn)
        .await
        .expect("SET with a long TTL");
    let now = datetime!(2030-01-01 0:00 UTC);
    let loaded = store.load(&id, now).await.expect("load");
    let _: i64 = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .expect("DEL");
    let record = loaded.expect("the key loads");
    assert!(record.expires_at.year() >= 9999, "{}", record.expires_at);
}
