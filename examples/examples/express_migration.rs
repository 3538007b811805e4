//! A Rust service taking over from the express app in `interop/express` (the application is
//! in `src/express.rs`), in the stage given as the argument: `share`, `switch`, `window` or
//! `native`. README.md, "Moving off express-session", walks through the stages.
//!
//! ```text
//! EXPRESS_SECRETS='["keyboard cat"]' PORT=3001 \
//!   cargo run -p session-examples --example express_migration -- share
//! ```
//!
//! `EXPRESS_SECRETS` is the express app's `secret` list as JSON (first signs); `REDIS_URL`
//! names its Redis (default `redis://127.0.0.1:6379`).

use anyhow::Context;
use session_examples::express::{app, manager, Stage};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let stage: Stage = std::env::args()
        .nth(1)
        .context("give the stage: share, switch, window or native")?
        .parse()?;
    let secrets: Vec<String> = serde_json::from_str(
        &std::env::var("EXPRESS_SECRETS")
            .context("set EXPRESS_SECRETS to the express app's secrets, as a JSON list")?,
    )
    .context("EXPRESS_SECRETS is a JSON list of strings, such as '[\"keyboard cat\"]'")?;
    let redis_url =
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let app = app(manager(stage, &secrets, &redis_url).await?);

    let listener = tokio::net::TcpListener::bind(session_examples::addr()?).await?;
    println!(
        "listening on http://{}/ ({stage:?})",
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}
