//! axum servers: bare, ours, tower-sessions.

use std::net::SocketAddr;

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use tower_sessions::{MemoryStore as TsMemoryStore, SessionManagerLayer};
use tower_sessions_redis_store::fred::prelude::{ClientLike, Config as FredConfig, Pool};
use tower_sessions_redis_store::RedisStore as TsRedisStore;

use super::ours;
use crate::variant::Layer;
use crate::BenchError;

pub(super) fn run(layer: Layer, addr: SocketAddr, redis: Option<String>) -> Result<(), BenchError> {
    super::runtime()?.block_on(async move {
        let app = match (layer, redis) {
            (
                Layer::Bare
                | Layer::OursMemory
                | Layer::OursMetrics
                | Layer::TowerSessionsMemory
                | Layer::Floor,
                _,
            ) => app(layer)?,
            (Layer::OursRedis, Some(url)) => ours_routes().layer(session_axum::SessionLayer::new(
                super::ours_redis(&url).await?,
            )),
            (Layer::OursRedisClient, Some(url)) => ours_routes().layer(
                session_axum::SessionLayer::new(super::ours_redis_client(&url).await?),
            ),
            (Layer::OursRedisCached, Some(url)) => {
                let (manager, store) = super::ours_redis_cached(&url).await?;
                ours_routes()
                    .route(
                        super::CACHE_STATS,
                        get(move || async move { super::cache_stats_line(&store) }),
                    )
                    .layer(session_axum::SessionLayer::new(manager))
            }
            (Layer::TowerSessionsRedis, Some(url)) => {
                let store = TsRedisStore::new(fred_pool(&url).await?);
                ts_routes().layer(SessionManagerLayer::new(store).with_secure(false))
            }
            (other, _) => return Err(BenchError::Usage(format!("{other:?} is not an axum layer"))),
        };
        let listener = tokio::net::TcpListener::bind(addr).await?;
        axum::serve(listener, app).await?;
        Ok(())
    })
}

/// The axum app of a layer that needs no server (bare, or a memory store), for in-process
/// benchmarks as well as the HTTP server.
///
/// ```
/// let app = session_bench::servers::axum_app(session_bench::Layer::OursMemory).unwrap();
/// # let _ = app;
/// ```
pub fn app(layer: Layer) -> Result<Router, BenchError> {
    match layer {
        Layer::Bare => Ok(bare()),
        Layer::OursMemory => {
            Ok(ours_routes().layer(session_axum::SessionLayer::new(super::ours_memory()?)))
        }
        Layer::OursMetrics => {
            // What an application exporting to Prometheus installs, with the exporter's
            // upkeep every 5 s (its default) draining the histograms; no scrapes.
            let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
                .install_recorder()
                .map_err(|e| BenchError::Usage(format!("a metrics recorder: {e}")))?;
            std::thread::spawn(move || loop {
                std::thread::sleep(std::time::Duration::from_secs(5));
                handle.run_upkeep();
            });
            Ok(ours_routes().layer(session_axum::SessionLayer::new(super::ours_memory()?)))
        }
        Layer::Floor => Ok(super::floor::routes().layer(super::floor::FloorLayer::new())),
        Layer::TowerSessionsMemory => Ok(ts_routes()
            .layer(SessionManagerLayer::new(TsMemoryStore::default()).with_secure(false))),
        other => Err(BenchError::Usage(format!(
            "{other:?} needs a server or is not an axum layer"
        ))),
    }
}

/// One fred client (auto-pipelined, like our one multiplexed connection).
async fn fred_pool(url: &str) -> Result<Pool, BenchError> {
    let store_err =
        |e: tower_sessions_redis_store::fred::error::Error| BenchError::Store(e.to_string());
    let config = FredConfig::from_url(url).map_err(store_err)?;
    let pool = Pool::new(config, None, None, None, 1).map_err(store_err)?;
    let _task = pool.connect();
    pool.wait_for_connect().await.map_err(store_err)?;
    Ok(pool)
}

fn bare() -> Router {
    Router::new()
        .route("/rw", get(|| async { "0" }))
        .route("/read", get(|| async { "0" }))
        .route("/new", get(|| async { "0" }))
        .route("/untouched", get(|| async { "ok" }))
}

fn ours_routes() -> Router {
    use session_axum::{Session, SessionError};
    async fn rw(s: Session) -> Result<String, SessionError> {
        Ok(ours::rw(&s).await?)
    }
    async fn read(s: Session) -> Result<String, SessionError> {
        Ok(ours::read(&s).await?)
    }
    async fn new(s: Session) -> Result<String, SessionError> {
        Ok(ours::new(&s).await?)
    }
    Router::new()
        .route("/rw", get(rw))
        .route("/read", get(read))
        .route("/new", get(new))
        .route("/untouched", get(|| async { "ok" }))
}

fn ts_routes() -> Router {
    use tower_sessions::Session;
    fn fail(_: tower_sessions::session::Error) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
    async fn rw(s: Session) -> Result<String, StatusCode> {
        let n: u64 = s.get("n").await.map_err(fail)?.unwrap_or(0) + 1;
        s.insert("n", n).await.map_err(fail)?;
        Ok(n.to_string())
    }
    async fn read(s: Session) -> Result<String, StatusCode> {
        let n: u64 = s.get("n").await.map_err(fail)?.unwrap_or(0);
        Ok(n.to_string())
    }
    async fn new(s: Session) -> Result<String, StatusCode> {
        s.insert("n", 1u64).await.map_err(fail)?;
        Ok("1".to_owned())
    }
    Router::new()
        .route("/rw", get(rw))
        .route("/read", get(read))
        .route("/new", get(new))
        .route("/untouched", get(|| async { "ok" }))
}
