//! A visit counter with login and logout on poem (the routes are in `src/poem.rs`).
//!
//! `cargo run -p session-examples --example poem`, then open <http://127.0.0.1:3000/>.

use poem::listener::TcpAcceptor;
use session_poem::{Config, MemoryStore, SessionManager};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let secret = session_examples::secret()?;
    let config = Config::builder().secret(secret).build()?;
    let store = MemoryStore::new();
    let manager = SessionManager::builder(config).store(store).build()?;
    let app = session_examples::poem::app(manager);

    let listener = tokio::net::TcpListener::bind(session_examples::addr()?).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    poem::Server::new_with_acceptor(TcpAcceptor::from_tokio(listener)?)
        .run(app)
        .await?;
    Ok(())
}
