//! A visit counter with login and logout on axum (the routes are in `src/axum.rs`).
//!
//! `cargo run -p session-examples --example axum`, then open <http://127.0.0.1:3000/>.

use session_axum::{Config, MemoryStore, SessionManager};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let secret = session_examples::secret()?;
    let config = Config::builder().secret(secret).build()?;
    let store = MemoryStore::new();
    let manager = SessionManager::builder(config).store(store).build()?;
    let app = session_examples::axum::app(manager);

    let listener = tokio::net::TcpListener::bind(session_examples::addr()?).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
