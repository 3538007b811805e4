//! The benchmark servers: the same four routes on every framework and session layer.
//!
//! | route | with a session layer | bare |
//! |---|---|---|
//! | `/rw` | reads the counter `n` (0 when absent), stores `n + 1`, answers it | `0` |
//! | `/read` | reads `n`, answers it | `0` |
//! | `/new` | stores `n = 1` (without a cookie: a new session), answers `1` | `0` |
//! | `/untouched` | never touches the session, answers `ok` | `ok` |
//!
//! Every server runs its handlers on one thread.

mod actix;
mod axum;
mod floor;
#[cfg(feature = "poem")]
mod poem;
#[cfg(feature = "rocket")]
mod rocket;
#[cfg(feature = "salvo")]
mod salvo;
#[cfg(feature = "warp")]
mod warp;

use std::net::{Ipv4Addr, SocketAddr};

pub use self::axum::app as axum_app;
#[cfg(feature = "rocket")]
pub use self::rocket::app as rocket_app;

use session_core::{Config, Secure, SessionManager};
use session_stores::{CachedStore, MemoryStore, RedisStore};

use crate::variant::{Framework, Variant};
use crate::BenchError;

/// Runs `variant` on `127.0.0.1:port` until the process is killed. Redis layers connect to
/// `redis` (a `redis://` URL).
///
/// ```no_run
/// let variant = session_bench::Variant::named("bare-axum").unwrap();
/// session_bench::servers::run(variant, 8080, None).unwrap();
/// ```
pub fn run(variant: Variant, port: u16, redis: Option<&str>) -> Result<(), BenchError> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let redis = match (variant.layer.uses_redis(), redis) {
        (true, None) => {
            return Err(BenchError::Usage(format!(
                "{} needs --redis URL",
                variant.name
            )))
        }
        (_, url) => url.map(str::to_owned),
    };
    match variant.framework {
        Framework::Axum => axum::run(variant.layer, addr, redis),
        Framework::Actix => actix::run(variant.layer, addr, redis),
        #[cfg(feature = "rocket")]
        Framework::Rocket => rocket::run(variant.layer, addr, redis),
        #[cfg(feature = "warp")]
        Framework::Warp => warp::run(variant.layer, addr, redis),
        #[cfg(feature = "poem")]
        Framework::Poem => poem::run(variant.layer, addr, redis),
        #[cfg(feature = "salvo")]
        Framework::Salvo => salvo::run(variant.layer, addr, redis),
        #[allow(unreachable_patterns)]
        other => Err(BenchError::Usage(format!(
            "{} was built without the {} feature",
            variant.name,
            other.name()
        ))),
    }
}

/// A current-thread tokio runtime: the server's one worker thread.
fn runtime() -> Result<tokio::runtime::Runtime, BenchError> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Our configuration: defaults except plain HTTP.
fn ours_config() -> Result<Config, BenchError> {
    Config::builder()
        .secret(crate::SECRET)
        .secure(Secure::Never)
        .build()
        .map_err(|e| BenchError::Store(e.to_string()))
}

/// Our manager with the memory store (256 shards, the default; unbounded, as the peers are).
pub(crate) fn ours_memory() -> Result<SessionManager, BenchError> {
    Ok(SessionManager::new(
        ours_config()?,
        MemoryStore::builder().unbounded().build(),
    ))
}

/// Our manager with the Redis store, one redis-rs `ConnectionManager`.
async fn ours_redis(url: &str) -> Result<SessionManager, BenchError> {
    Ok(SessionManager::new(
        ours_config()?,
        ours_redis_store(url).await?,
    ))
}

/// Our Redis store, connected (so that a bad URL or a missing server fails at start).
/// Our manager with the Redis store on redis-rs's `ConnectionManager` (multiplexed, one
/// connection), as an application passing its own client has it.
async fn ours_redis_client(url: &str) -> Result<SessionManager, BenchError> {
    let failed = |e: redis::RedisError| BenchError::Store(e.to_string());
    let client = redis::Client::open(url).map_err(failed)?;
    let manager = redis::aio::ConnectionManager::new(client)
        .await
        .map_err(failed)?;
    let store = RedisStore::from_connection_manager(manager)
        .prefix("ours-client:")
        .connect()
        .await
        .map_err(|e| BenchError::Store(e.to_string()))?;
    Ok(SessionManager::new(ours_config()?, store))
}

/// Where the cached variant answers with its cache's figures: `hits misses bypassed`.
pub const CACHE_STATS: &str = "/cache-stats";

/// Our manager with the Redis store behind the server-invalidated cache, and the cache (for
/// its figures).
async fn ours_redis_cached(
    url: &str,
) -> Result<(SessionManager, CachedStore<RedisStore>), BenchError> {
    let store = CachedStore::redis(ours_redis_store(url).await?)
        .capacity(10_000)
        .connect()
        .await
        .map_err(|e| BenchError::Store(e.to_string()))?;
    Ok((SessionManager::new(ours_config()?, store.clone()), store))
}

/// `hits misses bypassed`: what the runner prints as the cache's hit ratio.
fn cache_stats_line(store: &CachedStore<RedisStore>) -> String {
    let s = store.stats();
    format!("{} {} {}", s.hits, s.misses, s.bypassed)
}

async fn ours_redis_store(url: &str) -> Result<RedisStore, BenchError> {
    RedisStore::builder([url])
        .prefix("ours:")
        .connect()
        .await
        .map_err(|e| BenchError::Store(e.to_string()))
}

/// The handlers' logic on our core session, shared by every adapter.
mod ours {
    use session_core::{Session, SessionError};

    pub(super) async fn rw(session: &Session) -> Result<String, SessionError> {
        let n: u64 = session.get("n").await?.unwrap_or(0) + 1;
        session.insert("n", n).await?;
        Ok(n.to_string())
    }

    pub(super) async fn read(session: &Session) -> Result<String, SessionError> {
        let n: u64 = session.get("n").await?.unwrap_or(0);
        Ok(n.to_string())
    }

    pub(super) async fn new(session: &Session) -> Result<String, SessionError> {
        session.insert("n", 1u64).await?;
        Ok("1".to_owned())
    }
}
