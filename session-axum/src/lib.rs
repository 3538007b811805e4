//! # session-axum
//!
//! [axum](https://docs.rs/axum) and tower adapter for [`session_core`]. [`SessionLayer`] gives
//! every request a session and applies the core's `Set-Cookie` to the response; the
//! [`Session`] extractor hands it to handlers.
//!
//! ```
//! use axum::{routing::get, Router};
//! use session_axum::{Config, MemoryStore, Session, SessionError, SessionLayer, SessionManager};
//! use tower::ServiceExt;
//!
//! async fn count(session: Session) -> Result<String, SessionError> {
//!     let visits: u64 = session.get("visits").await?.unwrap_or(0) + 1;
//!     session.insert("visits", visits).await?;
//!     Ok(format!("visit {visits}"))
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let config = Config::builder()
//!     .secret("a secret of at least thirty-two bytes!!")
//!     .build()?;
//! let manager = SessionManager::new(config, MemoryStore::new());
//! let app = Router::new()
//!     .route("/", get(count))
//!     .layer(SessionLayer::new(manager));
//!
//! // Serve it with `axum::serve`; here two requests go straight through the router.
//! let res = app.clone().oneshot(http::Request::new(axum::body::Body::empty())).await?;
//! let set_cookie = res.headers()["set-cookie"].to_str()?;
//! assert!(set_cookie.starts_with("id=s%3A"));
//! let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
//!
//! let req = http::Request::builder().header("cookie", cookie).body(axum::body::Body::empty())?;
//! let res = app.oneshot(req).await?;
//! let body = axum::body::to_bytes(res.into_body(), 1024).await?;
//! assert_eq!(body, "visit 2");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! What the layer does per request, and nothing more (every session policy is the core's):
//!
//! 1. maps the `Cookie` headers and the peer address (from
//!    [`axum::extract::ConnectInfo<SocketAddr>`](axum::extract::ConnectInfo), when the server
//!    was started with `into_make_service_with_connect_info`) onto
//!    [`session_core::HttpRequest`], and calls [`SessionManager::begin`]: no IO yet;
//! 2. puts the [`session_core::Session`] in the request's extensions and calls the inner
//!    service;
//! 3. calls [`SessionManager::finish`] with the response status and appends the outcome's
//!    headers (`Set-Cookie`).
//!
//! Errors: a store failure while the handler uses the session is a [`SessionError`] (an
//! [`axum::response::IntoResponse`], so `?` works in handlers). When saving fails in step 3
//! the response is replaced by an empty one with the error's status: 503 when the store is
//! down or slow, the configured conflict status (409 by default), 500 otherwise; the cause is
//! logged with `tracing`. Nothing panics and nothing is half-saved.
//!
//! [`SessionManager::begin`]: session_core::SessionManager::begin
//! [`SessionManager::finish`]: session_core::SessionManager::finish
//!
//! Features: `memory` (default), `tokio`, `redis`, `redis-cluster`, `redis-tls`,
//! `redis-sentinel`, `postgres`, `mysql`,
//! `sqlite`, `express`, `msgpack`: the stores and codecs of [`session_stores`] (see its
//! documentation for each), forwarded, so that this crate is the only dependency an app needs.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod csrf;
mod error;
mod extract;
mod future;
mod layer;

pub use csrf::{CsrfLayer, CsrfService};
pub use error::SessionError;
pub use extract::{Session, Typed};
pub use future::ResponseFuture;
pub use layer::{SessionLayer, SessionService};

/// The core crate, for what the prelude leaves out (the adapter kit, decisions, ...).
pub use session_core;
pub use session_core::adapter::prelude::*;
/// The stores crate.
pub use session_stores;
#[doc(no_inline)]
pub use session_stores::*;
