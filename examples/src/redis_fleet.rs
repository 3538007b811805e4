//! The `redis_fleet` example's application: the `axum` example's routes on sessions kept in
//! Redis, so that any number of instances (on other ports or machines) share them. Every
//! instance needs the same secret. Each instance answers reads from its own cache, which
//! Redis keeps exact (`CachedStore`). `examples/redis_fleet.rs` serves it;
//! `tests/redis_fleet.rs` runs two instances against one Redis.

use anyhow::Context;
use axum::Router;

use session_axum::{Config, SessionManager};

/// The `axum` example's routes with sessions in the Redis at `redis_url`; fails when Redis
/// cannot be reached.
pub async fn app(config: Config, redis_url: &str) -> anyhow::Result<Router> {
    let store = crate::redis_setups::cached(redis_url)
        .await
        .context("cannot reach Redis for the sessions")?;
    let manager = SessionManager::builder(config).store(store).build()?;
    Ok(crate::axum::app(manager))
}
