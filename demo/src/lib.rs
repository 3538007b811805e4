//! # session-demo
//!
//! A small server-rendered site built on [`session_axum`]: log in with any name (the session
//! id is regenerated), watch a per-session visit counter, ask to be remembered for 30 days,
//! log out. `cargo run -p session-demo` serves it on <http://127.0.0.1:3000>.
//!
//! The router lives here so tests can serve it in-process:
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use session_demo::setup::{config, open, StoreUrl};
//! let manager = open(&StoreUrl::Memory, config("a secret of at least thirty-two bytes!!")?).await?;
//! let app = session_demo::app(session_axum::SessionLayer::new(manager));
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let url = format!("http://{}/sessions", listener.local_addr()?);
//! tokio::spawn(async move { axum::serve(listener, app).await });
//! let page = reqwest::get(url).await?.text().await?;
//! assert!(page.contains("You are not logged in"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! Pages: `/` (login form), `POST /login`, `/me` (who, visits, expiry; buttons for
//! `POST /remember` and `POST /logout`), `/sessions` (the user's live sessions, with
//! `POST /sessions/revoke` "log out that session" (one of the user's own, by its shortened
//! id), `POST /sessions/revoke-others` "log out everywhere else" and `POST /sessions/revoke-all`
//! "log out everywhere", through the stores' user index). State-changing requests are POST forms; the `SameSite=Lax` cookie is
//! not sent with cross-site POSTs, which is this demo's CSRF defence.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod pages;
mod routes;
pub mod setup;

use axum::routing::{get, post};
use axum::Router;
use session_axum::SessionLayer;

pub use routes::REMEMBER_FOR;

/// The whole site behind `layer`.
///
/// ```
/// # use session_core::{Config, SessionManager};
/// let config = session_demo::setup::config("a secret of at least thirty-two bytes!!").unwrap();
/// let manager = SessionManager::new(config, session_stores::MemoryStore::new());
/// let app: axum::Router = session_demo::app(session_axum::SessionLayer::new(manager));
/// # let _ = app;
/// ```
pub fn app(layer: SessionLayer) -> Router {
    let manager = layer.manager().clone();
    Router::new()
        .route("/", get(routes::home))
        .route("/login", post(routes::login))
        .route("/me", get(routes::me))
        .route("/logout", post(routes::logout))
        .route("/remember", post(routes::remember))
        .route("/sessions", get(routes::sessions))
        .route("/sessions/revoke", post(routes::revoke_one))
        .route("/sessions/revoke-others", post(routes::revoke_others))
        .route("/sessions/revoke-all", post(routes::revoke_all))
        .layer(layer)
        .layer(axum::Extension(manager))
}
