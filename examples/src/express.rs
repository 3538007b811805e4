//! Sessions shared with a Node service running express-session and connect-redis: the same
//! cookie, the same secrets, the same Redis records. Put the manager under any adapter.

use std::time::Duration;

use anyhow::Context;
use session_axum::{
    Config, ConnectRedisStore, DuplicateCookies, ExpressCodec, RedisStore, SessionManager,
};

/// A manager reading and writing the cookie and the Redis records of an express-session +
/// connect-redis service that signs with `secret` (the first of its secrets).
pub async fn manager(secret: &str, redis_url: &str) -> anyhow::Result<SessionManager> {
    let config = Config::builder()
        .cookie_name("connect.sid")
        .secret(secret)
        .max_age(Some(Duration::from_secs(3600))) // express' cookie.maxAge
        .duplicate_cookies(DuplicateCookies::FirstOnly) // express reads the first cookie only
        .build()?;
    let redis = RedisStore::connect(redis_url)
        .await
        .context("cannot reach Redis")?;
    let manager = SessionManager::builder(config)
        .store(ConnectRedisStore::new(redis)) // key sess:<id>, value the JSON alone
        .codec_from(ExpressCodec::new) // express' `cookie` object beside the data
        .build()?;
    Ok(manager)
}
