//! A visit counter with login and logout on warp (the routes are in `src/warp.rs`).
//!
//! `cargo run -p session-examples --example warp`, then open <http://127.0.0.1:3000/>.

use session_warp::{Config, MemoryStore, SessionManager};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let secret = session_examples::secret()?;
    let config = Config::builder().secret(secret).build()?;
    let store = MemoryStore::new();
    let manager = SessionManager::builder(config).store(store).build()?;
    let routes = session_examples::warp::routes(manager);

    let listener = tokio::net::TcpListener::bind(session_examples::addr()?).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    warp::serve(routes).incoming(listener).run().await;
    Ok(())
}
