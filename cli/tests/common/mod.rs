//! What the `sessions` tests share: the servers' URLs, names of their own, the binary, and
//! sessions to find.
#![allow(dead_code)]

use std::time::Duration;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use session_core::{
    Clock, Codec, JsonCodec, Record, SessionId, SessionState, Store, StoreError, SystemClock,
};

/// The signing secret the tests' applications use (32 bytes or more, for stateless tokens).
pub const SECRET: &str = "a-test-secret-that-is-32-bytes-or-more!";
/// A retired secret, still verifying.
pub const OLD_SECRET: &str = "the-previous-secret-also-32-bytes-long!!";

pub fn test_url(var: &str, default: &str) -> String {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => url,
        _ => default.to_owned(),
    }
}

pub fn redis_url() -> String {
    test_url("SESSION_TEST_REDIS_URL", "redis://127.0.0.1:6379")
}

pub fn postgres_url() -> String {
    test_url(
        "SESSION_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    )
}

pub fn mysql_url() -> String {
    test_url("SESSION_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
}

/// `base` with `?key=value` (or `&key=value`) added.
pub fn with_param(base: &str, param: &str) -> String {
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}{param}")
}

/// A name no other test, nor another run, uses: lowercase letters, digits and `_`.
pub fn unique(what: &str) -> String {
    let id = SessionId::generate().expect("randomness");
    let tail: String = id
        .as_str()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(10)
        .collect();
    format!("cli_{what}_{}_{}", std::process::id(), tail.to_lowercase())
}

/// The `sessions` binary, with none of the environment it reads set.
pub fn sessions() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("sessions").expect("the sessions binary");
    cmd.env_remove("SESSION_STORE_URL")
        .env_remove("SESSION_SECRETS")
        .timeout(Duration::from_secs(300));
    cmd
}

pub fn now() -> time::OffsetDateTime {
    SystemClock.now()
}

/// A session state with a few keys, numbered `n`, created an hour ago (whole milliseconds).
pub fn state(n: usize) -> SessionState {
    let mut data = serde_json::Map::new();
    data.insert("n".into(), n.into());
    data.insert("name".into(), format!("user-{n}").into());
    data.insert(
        "cart".into(),
        serde_json::json!([n % 7, "é😀", {"k": null}]),
    );
    let created = now() - time::Duration::hours(1);
    SessionState {
        data,
        created_at: session_core::from_unix_millis(session_core::unix_millis(created)),
        max_age: n.is_multiple_of(2).then(|| Duration::from_secs(86_400)),
    }
}

/// A record of `state` in the JSON codec, expiring at `expires` (whole milliseconds).
pub fn record(state: &SessionState, expires: time::OffsetDateTime, user: Option<&str>) -> Record {
    let expires = session_core::from_unix_millis(session_core::unix_millis(expires));
    let payload = JsonCodec.encode(state, expires).expect("encodes");
    Record::new(payload, expires, 1).with_user(user.map(str::to_owned))
}

/// Creates `records` in `store`, `concurrency` at a time.
pub async fn create_all<S: Store>(
    store: &S,
    records: &[(SessionId, Record)],
    concurrency: usize,
) -> Result<(), StoreError> {
    stream::iter(records)
        .map(|(id, record)| store.create(id, record))
        .buffer_unordered(concurrency)
        .try_collect::<Vec<()>>()
        .await
        .map(drop)
}

/// Deletes every key under `prefix` from the Redis at `url`.
pub async fn clear_redis_prefix(url: &str, prefix: &str) {
    let client = redis::Client::open(url).expect("a Redis URL");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis");
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(5000)
            .query_async(&mut conn)
            .await
            .expect("SCAN");
        if !keys.is_empty() {
            redis::cmd("DEL")
                .arg(&keys)
                .exec_async(&mut conn)
                .await
                .expect("DEL");
        }
        cursor = next;
        if cursor == 0 {
            return;
        }
    }
}

/// Standard output as JSON.
pub fn json_of(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
