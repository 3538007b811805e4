//! A JSON API on stateless JWT sessions carried in `Authorization: Bearer` (the routes are in
//! `src/stateless_jwt.rs`).
//!
//! `cargo run -p session-examples --example stateless_jwt`, then:
//!
//! ```text
//! curl -i -X POST http://127.0.0.1:3000/login -H 'content-type: application/json' -d '{"name":"ann"}'
//! curl http://127.0.0.1:3000/me -H "authorization: Bearer <the x-session-token header>"
//! ```

use session_axum::{Config, JwtFormat, SessionManager, TokenHeader};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::builder()
        .secret(session_examples::secret()?)
        .cookie_transport(false)
        .token_header(TokenHeader::Bearer)
        .build()?;
    let manager = SessionManager::builder(config)
        .stateless(JwtFormat::new)
        .build()?;
    let app = session_examples::stateless_jwt::app(manager);

    let listener = tokio::net::TcpListener::bind(session_examples::addr()?).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
