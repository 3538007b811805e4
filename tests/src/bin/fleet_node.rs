//! One node of a test fleet: a reference server of one adapter, on a shared store, with the
//! http suite's fixed secret, so that several nodes behind a proxy serve the same sessions.
//!
//! ```text
//! fleet-node <axum|actix|rocket|warp> <redis://...|postgres://...> [redis key prefix]
//! ```
//!
//! Prints `listening <address>` once it serves (on a port the OS picked), then runs until
//! killed or until its standard input closes.

use std::process::ExitCode;
use std::sync::Arc;

use session_core::{Clock, SessionManager};
use session_stores::{PostgresStore, RedisStore};
use session_tests::http_suite::{base_config, servers, AdapterHarness};
use tokio::io::AsyncReadExt;

// A deployment-like node: sessions are stamped with the real time.
#[allow(clippy::disallowed_methods)]
fn system_clock() -> Arc<dyn Clock> {
    Arc::new(time::OffsetDateTime::now_utc)
}

async fn manager(url: &str, prefix: Option<&str>) -> Result<SessionManager, String> {
    let config = base_config().build().map_err(|e| e.to_string())?;
    if url.starts_with("redis") {
        let store = RedisStore::builder([url])
            .prefix(prefix.unwrap_or("fleet:"))
            .connect()
            .await
            .map_err(|e| e.to_string())?;
        Ok(SessionManager::new(config, store))
    } else if url.starts_with("postgres") {
        let store = PostgresStore::connect(url)
            .await
            .map_err(|e| e.to_string())?;
        store.migrate().await.map_err(|e| e.to_string())?;
        Ok(SessionManager::new(config, store))
    } else {
        Err(format!("unknown store URL `{url}`"))
    }
}

async fn run(args: &[String]) -> Result<(), String> {
    let [adapter, url, rest @ ..] = args else {
        return Err("usage: fleet-node <axum|actix|rocket|warp> <store URL> [prefix]".into());
    };
    let harness: &dyn AdapterHarness = match adapter.as_str() {
        "axum" => &servers::Axum,
        "actix" => &servers::Actix,
        "rocket" => &servers::Rocket,
        "warp" => &servers::Warp,
        other => return Err(format!("unknown adapter `{other}`")),
    };
    let manager = manager(url, rest.first().map(String::as_str)).await?;
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
