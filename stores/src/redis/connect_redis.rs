//! Sessions laid out exactly as connect-redis (express-session's Redis store) keeps them, so
//! a Rust service and a Node service can share one Redis.

use redis::aio::ConnectionLike;
use session_core::{unix_millis, Record, SessionId, Store, StoreError};
use sha1::{Digest, Sha1};
use time::OffsetDateTime;

use super::error::store_error;
use super::{record, scripts, RedisStore};
use crate::deadline::within;

/// A [`RedisStore`] speaking connect-redis' layout: key `<prefix><id>` (prefix `sess:` by
/// default), the value the codec's JSON alone, the TTL the record's expiry. Pair it with
/// [`crate::ExpressCodec`] (feature `express`) and express-session and this service read and
/// write the same sessions.
///
/// Compare-and-set still holds although the value has no version field: the version of a
/// record is the first 64 bits of the SHA-1 of its value (what Redis' Lua `redis.sha1hex`
/// computes), so a save fails with a conflict whenever anyone, Rust or Node, changed the value
/// since it was loaded. `load` is one pipelined round trip (`GET` + `PTTL`), `save` one
/// `EVALSHA`. The user index is not available in this layout (connect-redis has none).
///
/// ```no_run
/// use session_stores::{ConnectRedisStore, RedisStore};
/// # async fn run() -> Result<(), session_core::StoreError> {
/// let store = ConnectRedisStore::new(RedisStore::connect("redis://127.0.0.1:6379").await?);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ConnectRedisStore {
    pub(super) inner: RedisStore,
}

impl ConnectRedisStore {
    /// Uses `store`'s connection, prefix and timeout with connect-redis' layout.
    pub fn new(store: RedisStore) -> Self {
        Self { inner: store }
    }
}

/// The version of a stored value: the first 64 bits of its SHA-1.
fn version_of(value: &[u8]) -> u64 {
    let digest = Sha1::digest(value);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// The record of a stored `value` whose key has `pttl` left at `now`, if still live.
pub(super) fn record_of(value: Vec<u8>, pttl: i64, now: OffsetDateTime) -> Option<Record> {
    // -1: no TTL (written without one); treat it as a day, connect-redis' default TTL.
    let ttl_ms = if pttl >= 0 { pttl } else { 86_400_000 };
    // Redis keeps TTLs far beyond the years an instant holds; those saturate.
    let expires_at = now.saturating_add(time::Duration::milliseconds(ttl_ms));
    let version = version_of(&value);
    (expires_at > now).then(|| Record::new(value, expires_at, version))
}

impl Store for ConnectRedisStore {
    fn backend_name(&self) -> &'static str {
        "connect-redis"
    }

    async fn load(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Result<Option<Record>, StoreError> {
        let store = &self.inner;
        let mut conn = store.conn().await?;
        let key = store.key(id);
        let (value, pttl): (Option<Vec<u8>>, i64) = within(store.timeout, async {
            redis::pipe()
                .cmd("GET")
                .arg(&key)
                .cmd("PTTL")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .map_err(store_error)
        })
        .await?;
        let Some(value) = value else { return Ok(None) };
        Ok(record_of(value, pttl, now))
    }

    async fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        let store = &self.inner;
        let mut conn = store.conn().await?;
        let reply: Option<String> = within(store.timeout, async {
            redis::cmd("SET")
                .arg(store.key(id))
                .arg(&record.payload)
                .arg("NX")
                .arg("PXAT")
                .arg(record::pexpireat_arg(unix_millis(record.expires_at)))
                .query_async(&mut conn)
                .await
                .map_err(store_error)
        })
        .await?;
        reply.map(|_| ()).ok_or_else(StoreError::duplicate_id)
    }

    async fn save(
        &self,
        id: &SessionId,
        record: &Record,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let store = &self.inner;
        let mut conn = store.conn().await?;
        let outcome: i64 = within(store.timeout, async {
            scripts::SAVE_BY_DIGEST
                .key(store.key(id))
                .arg(format!("{expected_version:016x}"))
                .arg(&record.payload)
                .arg(record::pexpireat_arg(unix_millis(record.expires_at)))
                .invoke_async(&mut conn)
                .await
                .map_err(store_error)
        })
        .await?;
        match outcome {
            1 => Ok(()),
            0 => Err(StoreError::not_found()),
            _ => Err(StoreError::conflict()),
        }
    }

    async fn touch(&self, id: &SessionId, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        let store = &self.inner;
        let mut conn = store.conn().await?;
        within(store.timeout, async {
            let mut cmd = redis::cmd("PEXPIREAT");
            cmd.arg(store.key(id))
                .arg(record::pexpireat_arg(unix_millis(expires_at)));
            conn.req_packed_command(&cmd)
                .await
                .map(drop)
                .map_err(store_error)
        })
        .await
    }

    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        Store::delete(&self.inner, id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Lua side compares `string.sub(redis.sha1hex(value), 1, 16)` with this rendering.
    #[test]
    fn version_is_the_sha1_prefix() {
        // SHA-1("abc") = a9993e364706816aba3e25717850c26c9cd0d89d
        assert_eq!(format!("{:016x}", version_of(b"abc")), "a9993e364706816a");
    }
}
