//! A visit counter with login and logout on Rocket (the routes are in `src/rocket.rs`).
//!
//! `cargo run -p session-examples --example rocket`, then open <http://127.0.0.1:3000/>.

use session_rocket::{Config, MemoryStore, SessionManager};

#[rocket::main]
async fn main() -> anyhow::Result<()> {
    let secret = session_examples::secret()?;
    let config = Config::builder().secret(secret).build()?;
    let store = MemoryStore::new();
    let manager = SessionManager::builder(config).store(store).build()?;

    let addr = session_examples::addr()?;
    let server = rocket::Config {
        address: addr.ip(),
        port: addr.port(),
        ..rocket::Config::default()
    };
    session_examples::rocket::app(manager)
        .configure(server)
        .launch()
        .await?;
    Ok(())
}
