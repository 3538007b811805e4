//! The `axum` example on sessions in Redis (the app is in `src/redis_fleet.rs`): start
//! several instances on different ports with the same `SESSION_SECRET` and they share every
//! session.
//!
//! ```text
//! export SESSION_SECRET=$(head -c 32 /dev/urandom | base64)
//! PORT=3000 cargo run -p session-examples --example redis_fleet &
//! PORT=3001 cargo run -p session-examples --example redis_fleet &
//! ```
//!
//! Then open <http://127.0.0.1:3000/> and <http://127.0.0.1:3001/>: one counter. `REDIS_URL`
//! names the Redis (default `redis://127.0.0.1:6379`).

use anyhow::Context;
use session_axum::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let secret = std::env::var("SESSION_SECRET")
        .context("set SESSION_SECRET (at least 32 bytes), the same on every instance")?;
    let redis_url =
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let config = Config::builder().secret(secret).build()?;
    let app = session_examples::redis_fleet::app(config, &redis_url).await?;

    let listener = tokio::net::TcpListener::bind(session_examples::addr()?).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
