//! A visit counter with login and logout on salvo (the routes are in `src/salvo.rs`).
//!
//! `cargo run -p session-examples --example salvo`, then open <http://127.0.0.1:3000/>.

use salvo::conn::tcp::TcpAcceptor;
use session_salvo::{Config, MemoryStore, SessionManager};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let secret = session_examples::secret()?;
    let config = Config::builder().secret(secret).build()?;
    let store = MemoryStore::new();
    let manager = SessionManager::builder(config).store(store).build()?;
    let router = session_examples::salvo::router(manager);

    let listener = tokio::net::TcpListener::bind(session_examples::addr()?).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    salvo::Server::new(TcpAcceptor::try_from(listener)?)
        .serve(router)
        .await;
    Ok(())
}
