//! The store's server fails while clients hit every adapter (axum, actix-web, Rocket, warp, poem,
//! salvo):
//! Redis killed with `SIGKILL` and hung with `SIGSTOP` (an own `redis-server` on a spare
//! port), PostgreSQL cut and hung through a loopback proxy (`SESSION_TEST_POSTGRES_URL`,
//! default `postgres://postgres@127.0.0.1:5432/test`). Every failed request must be a 503
//! within the store timeout plus slack, with its typed cause logged; once the server is back
//! every client's session loads again with its data, and the store, read directly, holds
//! only whole records. Without `CI=true` a missing server skips with a notice.

mod fault_kit;
mod traffic;

use std::time::Duration;

use fault_kit::redis::{command, DurableRedis, Resp};
use fault_kit::{assert_stored, outage_under_traffic, stored_value, Mode, SERIAL};
use session_stores::{PostgresStore, RedisStore};
use session_tests::store_suite::{or_skip, test_url, TcpProxy};

/// The store timeout the adapters run with.
const TIMEOUT: Duration = Duration::from_millis(500);
const PREFIX: &str = "faults:";

async fn redis_outage(mode: Mode) {
    let _serial = SERIAL.lock().await;
    let Some(mut server) = or_skip("redis-server", DurableRedis::start().await) else {
        return;
    };
    let store = RedisStore::builder([server.url()])
        .prefix(PREFIX)
        .timeout(TIMEOUT)
        .connect()
        .await
        .unwrap();
    let endings = outage_under_traffic("redis", &mut server, store, TIMEOUT, mode).await;

    // Every key in the server is a whole record (16-byte header, then a payload the codec
    // reads), and each client's key holds its last value.
    let pattern = format!("{PREFIX}*");
    let Resp::Array(keys) = command(server.addr(), &[b"KEYS", pattern.as_bytes()])
        .await
        .unwrap()
    else {
        panic!("KEYS did not answer an array");
    };
    assert_eq!(
        keys.len(),
        endings.len(),
        "one key per client's session, no other"
    );
    let mut stored = Vec::new();
    for key in keys {
        let Resp::Bulk(Some(key)) = key else {
            panic!("a key that is not a string: {key:?}");
        };
        let Resp::Bulk(Some(value)) = command(server.addr(), &[b"GET", &key]).await.unwrap() else {
            panic!("GET {key:?} found nothing");
        };
        let payload = redis_payload(&value)
            .unwrap_or_else(|| panic!("a record without its whole header: {value:?}"));
        stored_value(&payload).unwrap_or_else(|e| panic!("a record does not decode: {e}"));
        let id = String::from_utf8(key).unwrap()[PREFIX.len()..].to_owned();
        stored.push((id, payload));
    }
    assert_stored("redis", &endings, &stored);
}

/// The payload of a stored Redis value: after `version ++ expires_at` (8 + 8 bytes), or, in
/// the layout with a user, after `0xFF ++ version ++ expires_at ++ user length (2) ++ user`.
fn redis_payload(value: &[u8]) -> Option<Vec<u8>> {
    match value.first()? {
        0xFF => {
            let len = u16::from_be_bytes([*value.get(17)?, *value.get(18)?]);
            value.get(19 + usize::from(len)..).map(<[u8]>::to_vec)
        }
        // Versions never reach 2^56, so a record without a user starts with a zero byte.
        0 => value.get(16..).map(<[u8]>::to_vec),
        _ => None,
    }
}

#[test]
fn redis_values_are_split_as_the_store_lays_them_out() {
    let mut plain = vec![0; 16];
    plain.extend_from_slice(b"{}");
    assert_eq!(redis_payload(&plain), Some(b"{}".to_vec()));
    let mut with_user = vec![0xFF];
    with_user.extend_from_slice(&[0; 16]);
    with_user.extend_from_slice(&[0, 3]);
    with_user.extend_from_slice(b"ann{}");
    assert_eq!(redis_payload(&with_user), Some(b"{}".to_vec()));
    assert_eq!(redis_payload(&[0; 15]), None);
    assert_eq!(redis_payload(&[1; 20]), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_under_traffic_gives_503_then_sessions_come_back() {
    redis_outage(Mode::Down).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_hung_under_traffic_gives_503_in_time_then_sessions_come_back() {
    redis_outage(Mode::Hung).await;
}

async fn postgres_outage(mode: Mode) {
    let _serial = SERIAL.lock().await;
    let url = test_url(
        "SESSION_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    );
    let (mut proxy, proxied) = TcpProxy::for_url(&url, 5432).await.unwrap();
    let connected = async {
        let store = PostgresStore::builder(&proxied)
            .timeout(TIMEOUT)
            // One connection per client, so that a busy pool is not what times out.
            .max_connections(32)
            .connect()
            .await?;
        store.migrate().await?;
        Ok::<_, session_core::StoreError>(store)
    };
    let Some(store) = or_skip("postgres", connected.await) else {
        return;
    };
    let endings = outage_under_traffic("postgres", &mut proxy, store, TIMEOUT, mode).await;

    // Read the rows straight from the server, not through the proxy or the store.
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let ids: Vec<String> = endings.iter().map(|e| e.id.clone()).collect();
    let rows: Vec<(String, Vec<u8>, i64, i64)> = sqlx::query_as(
        "SELECT id, payload, expires_at, version FROM http_sessions WHERE id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), endings.len(), "one row per client's session");
    for (id, _, expires_at, version) in &rows {
        assert!(
            *version >= 1 && *expires_at > 0,
            "row {id}: version {version}, expires {expires_at}"
        );
    }
    let stored: Vec<(String, Vec<u8>)> = rows.into_iter().map(|(id, p, _, _)| (id, p)).collect();
    assert_stored("postgres", &endings, &stored);
    sqlx::query("DELETE FROM http_sessions WHERE id = ANY($1)")
        .bind(&ids)
        .execute(&pool)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cut_under_traffic_gives_503_then_sessions_come_back() {
    postgres_outage(Mode::Down).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_hung_under_traffic_gives_503_in_time_then_sessions_come_back() {
    postgres_outage(Mode::Hung).await;
}
