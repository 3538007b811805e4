//! The Redis store's set-ups, each a few lines (the README's Redis section quotes them):
//! TLS, Sentinel with acknowledged writes, the application's own client, and the read cache
//! that Redis keeps exact. The `redis_fleet` example runs on [`cached`].

use std::time::Duration;

use session_axum::{CachedStore, RedisStore, StoreError};

/// `rediss://` with a private CA (feature `redis-tls`); `tls_client_cert_pem` adds mutual
/// TLS.
pub async fn tls(ca_pem: Vec<u8>) -> Result<RedisStore, StoreError> {
    RedisStore::builder(["rediss://redis.internal:6380"])
        .tls_ca_pem(ca_pem)
        .connect()
        .await
}

/// The master that three sentinels name, followed across failovers (feature
/// `redis-sentinel`); every write waits until one replica has it, so a failover keeps it.
pub async fn sentinel() -> Result<RedisStore, StoreError> {
    let sentinels = [
        "redis://10.0.0.1:26379",
        "redis://10.0.0.2:26379",
        "redis://10.0.0.3:26379",
    ];
    RedisStore::builder_sentinel(sentinels, "mymaster")
        .wait_for_replicas(1, Duration::from_millis(50))
        .connect()
        .await
}

/// The application's own redis-rs client: its reconnecting `ConnectionManager`, shared.
pub async fn own_client(client: redis::Client) -> Result<RedisStore, StoreError> {
    let manager = redis::aio::ConnectionManager::new(client)
        .await
        .map_err(|e| StoreError::new(session_axum::StoreErrorKind::Unavailable, e.to_string()))?;
    RedisStore::from_connection_manager(manager)
        .prefix("app:sess:")
        .connect()
        .await
}

/// Reads from process memory, invalidated by Redis on every write anywhere in the fleet.
pub async fn cached(url: &str) -> Result<CachedStore<RedisStore>, StoreError> {
    let store = RedisStore::connect(url).await?;
    CachedStore::redis(store).capacity(50_000).connect().await
}
