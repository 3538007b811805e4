//! # session-demo
//!
//! A small server-rendered site built on [`session_axum`]: log in with a name and a password
//! (the first login with a new name registers it), watch a per-session visit counter, ask to
//! be remembered for 30 days, change the password (which logs out the user's other
//! sessions), list and end the user's sessions, log out. `cargo run -p session-demo` serves
//! it on <http://127.0.0.1:3000>.
//!
//! The router lives here so tests can serve it in-process:
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use session_demo::accounts::Accounts;
//! use session_demo::setup::{config, open, StoreUrl};
//! let accounts = Accounts::new();
//! let config = config("a secret of at least thirty-two bytes!!")?;
//! let manager = open(&StoreUrl::Memory, config, &accounts).await?;
//! let app = session_demo::app(session_axum::SessionLayer::new(manager), accounts);
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
//! `GET /metrics` serves the session layer's metrics in Prometheus's text format
//! ([`metrics`]).
//!
//! Pages: `/` (login form), `POST /login`, `/me` (who, visits, expiry; buttons for
//! `POST /remember`, `POST /logout` and the `POST /password` form), `/sessions` (the user's
//! live sessions, with `POST /sessions/revoke` "log out that session" (one of the user's own,
//! by its shortened id), `POST /sessions/revoke-others` "log out everywhere else" and
//! `POST /sessions/revoke-all` "log out everywhere", through the stores' user index).
//!
//! What the session does for the site:
//!
//! - **Login** ([`session_core::Session::login`]): a new session id and CSRF secret, the
//!   session bound to the user and to the user's password hash (an Argon2 PHC string, see
//!   [`accounts`]). The manager compares that hash with the account's current one whenever
//!   the session loads, so a password change ends the user's other sessions at their next
//!   request; the browser that changed it logs in again with the new hash.
//! - **CSRF**: state-changing requests are POST forms, and every form carries the session's
//!   token in a hidden `csrf_token` field, masked afresh for each page
//!   ([`session_core::Session::csrf_token`]). [`session_axum::CsrfLayer`] refuses a POST with
//!   a missing, forged, foreign or pre-login token with 403 before its handler runs.
//! - **Flash messages** ([`session_core::Session::flash`]): "Welcome", "Password changed",
//!   "You are logged out", shown once at the top of the next page.
//! - **Typed values**: the visit counter and "remember me" live in one [`Visit`] value.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod accounts;
pub mod metrics;
pub mod pages;
mod routes;
pub mod setup;

use axum::routing::{get, post};
use axum::Router;
use session_axum::{CsrfLayer, SessionLayer};

use accounts::Accounts;
pub use routes::{Visit, REMEMBER_FOR};

/// The whole site behind `layer`, with its accounts in `accounts` (the directory the
/// manager's auth-hash check reads, see [`setup::open`]).
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use session_demo::accounts::Accounts;
/// let accounts = Accounts::new();
/// let config = session_demo::setup::config("a secret of at least thirty-two bytes!!").unwrap();
/// let manager = session_demo::setup::open(&session_demo::setup::StoreUrl::Memory, config, &accounts)
///     .await
///     .unwrap();
/// let app: axum::Router = session_demo::app(session_axum::SessionLayer::new(manager), accounts);
/// # let _ = app;
/// # });
/// ```
pub fn app(layer: SessionLayer, accounts: Accounts) -> Router {
    // Installed before the first request, so that it counts from the start.
    metrics::handle();
    let manager = layer.manager().clone();
    // The forms: refused with 403 unless they carry this session's CSRF token. The guard
    // reads the session, so it sits inside the session layer.
    let forms = Router::new()
        .route("/login", post(routes::login))
        .route("/logout", post(routes::logout))
        .route("/remember", post(routes::remember))
        .route("/password", post(routes::change_password))
        .route("/sessions/revoke", post(routes::revoke_one))
        .route("/sessions/revoke-others", post(routes::revoke_others))
        .route("/sessions/revoke-all", post(routes::revoke_all))
        .route_layer(CsrfLayer::new());
    Router::new()
        .route("/", get(routes::home))
        .route("/me", get(routes::me))
        .route("/sessions", get(routes::sessions))
        .merge(forms)
        .layer(layer)
        .layer(axum::Extension(manager))
        .layer(axum::Extension(accounts))
        // Outside the session layer: a scrape is no visitor.
        .route("/metrics", get(metrics::render))
}
