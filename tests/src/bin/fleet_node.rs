//! One node of a test fleet: a reference server of one adapter, on a shared store, with the
//! http suite's fixed secret, so that several nodes behind a proxy serve the same sessions.
//!
//! ```text
//! fleet-node <axum|actix|rocket|warp> <redis://...|postgres://...> [redis key prefix] [cached]
//! ```
//!
//! Prints `listening <address>` once it serves (on a port the OS picked), then runs until
//! killed or until its standard input closes. With `cached`, the store is wrapped in the
//! server-invalidated `CachedStore`, and the node prints its cache's figures as
//! `cache hits=… misses=… bypassed=… invalidations=…` when its standard input closes.

use std::process::ExitCode;
use std::sync::Arc;

use session_core::{Clock, Config, SessionManager, Store};
use session_stores::{CacheStats, CachedStore, PostgresStore, RedisStore};
use session_tests::http_suite::{base_config, servers, AdapterHarness};
use tokio::io::AsyncReadExt;

// A deployment-like node: sessions are stamped with the real time.
#[allow(clippy::disallowed_methods)]
fn system_clock() -> Arc<dyn Clock> {
    Arc::new(time::OffsetDateTime::now_utc)
}

/// The cache's figures, when the node has one.
type Stats = Option<Box<dyn Fn() -> CacheStats + Send>>;

/// A manager on the cache, and the cache's figures.
fn with_cache<S>(config: Config, store: CachedStore<S>) -> (SessionManager, Stats)
where
    S: Store + Clone + Send + Sync + 'static,
{
    let stats = store.clone();
    let stats: Stats = Some(Box::new(move || stats.stats()));
    (SessionManager::new(config, store), stats)
}

async fn manager(
    url: &str,
    prefix: Option<&str>,
    cached: bool,
) -> Result<(SessionManager, Stats), String> {
    let config = base_config().build().map_err(|e| e.to_string())?;
    let e = |e: session_core::StoreError| e.to_string();
    if url.starts_with("redis") {
        let store = RedisStore::builder([url])
            .prefix(prefix.unwrap_or("fleet:"))
            .connect()
            .await
            .map_err(e)?;
        if cached {
            let store = CachedStore::redis(store).connect().await.map_err(e)?;
            return Ok(with_cache(config, store));
        }
        Ok((SessionManager::new(config, store), None))
    } else if url.starts_with("postgres") {
        let store = PostgresStore::connect(url).await.map_err(e)?;
        store.migrate().await.map_err(e)?;
        if cached {
            let store = CachedStore::postgres(store).connect().await.map_err(e)?;
            return Ok(with_cache(config, store));
        }
        Ok((SessionManager::new(config, store), None))
    } else {
        Err(format!("unknown store URL `{url}`"))
    }
}

async fn run(args: &[String]) -> Result<(), String> {
    let [adapter, url, rest @ ..] = args else {
        return Err(
            "usage: fleet-node <axum|actix|rocket|warp> <store URL> [prefix] [cached]".into(),
        );
    };
    let harness: &dyn AdapterHarness = match adapter.as_str() {
        "axum" => &servers::Axum,
        "actix" => &servers::Actix,
        "rocket" => &servers::Rocket,
        "warp" => &servers::Warp,
        other => return Err(format!("unknown adapter `{other}`")),
    };
    let cached = rest.get(1).is_some_and(|a| a == "cached");
    let (manager, stats) = manager(url, rest.first().map(String::as_str), cached).await?;
    let server = harness.spawn(manager, system_clock()).await?;
    println!("listening {}", server.addr());
    // The test holds our stdin: when it goes (the test ended or died), so do we.
    let mut sink = [0u8; 64];
    while tokio::io::stdin()
        .read(&mut sink)
        .await
        .is_ok_and(|n| n > 0)
    {}
    drop(server);
    if let Some(stats) = stats {
        let s = stats();
        println!(
            "cache hits={} misses={} bypassed={} invalidations={} link_losses={}",
            s.hits, s.misses, s.bypassed, s.invalidations, s.link_losses
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fleet-node: {e}");
            ExitCode::FAILURE
        }
    }
}
