//! A visit counter with login and logout on actix-web (the routes are in `src/actix.rs`).
//!
//! `cargo run -p session-examples --example actix`, then open <http://127.0.0.1:3000/>.

use session_actix::{Config, MemoryStore, SessionManager};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let secret = session_examples::secret()?;
    let config = Config::builder().secret(secret).build()?;
    let store = MemoryStore::new();
    let manager = SessionManager::builder(config).store(store).build()?;

    let listener = std::net::TcpListener::bind(session_examples::addr()?)?;
    println!("listening on http://{}/", listener.local_addr()?);
    session_examples::actix::server(manager, listener)?.await?;
    Ok(())
}
