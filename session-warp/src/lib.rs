//! # session-warp
//!
//! [warp](https://docs.rs/warp) adapter for [`session_core`]: [`Sessions::handle`] runs a
//! handler with the request's [`Session`] and then finishes it: the session is saved (store
//! first) and the core's `Set-Cookie` added to the handler's reply. There is no way to take a
//! session without that finish, so a save cannot be forgotten.
//!
//! ```
//! use session_warp::{Config, MemoryStore, Secure, Session, SessionError, SessionManager, Sessions};
//! use warp::Filter;
//!
//! async fn visit(session: Session) -> Result<String, SessionError> {
//!     let visits: u64 = session.get("visits").await?.unwrap_or(0);
//!     session.insert("visits", visits + 1).await?;
//!     Ok(format!("visit {}", visits + 1))
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let config = Config::builder()
//!     .secret("a secret of at least thirty-two bytes!!")
//!     .secure(Secure::Never) // plain-HTTP development server
//!     .build()?;
//! let sessions = Sessions::new(SessionManager::new(config, MemoryStore::new()));
//! let route = warp::path::end().and(sessions.handle(visit));
//!
//! // Serve it with `warp::serve(route)`; here one request is pushed through the filter.
//! let res = warp::test::request().path("/").reply(&route).await;
//! let cookie = res.headers().get("set-cookie").unwrap().to_str()?;
//! assert!(cookie.starts_with("id=s%3A"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! Forms: [`Sessions::csrf_guard`] and [`Sessions::csrf_form`] are [`Sessions::handle_with`]
//! behind the CSRF guard, which answers POST, PUT, PATCH and DELETE requests without the
//! session's CSRF token with 403 (the header for the first, the header or the form's field for
//! the second, which reads and parses the form itself: a warp filter cannot put a body back).
//! [`Typed<T>`] reads the session's [`SessionValue`] of type `T`.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use session_warp::{Config, MemoryStore, Session, SessionError, SessionManager, SessionValue};
//! use session_warp::{Sessions, Typed};
//! use warp::Filter;
//!
//! #[derive(Serialize, Deserialize, Default)]
//! struct Theme { theme: String }
//! impl SessionValue for Theme {
//!     const KEY: &'static str = "theme";
//! }
//!
//! async fn form(session: Session) -> Result<String, SessionError> {
//!     Ok(session.csrf_token().await?) // rendered into the form's `csrf_token` field
//! }
//! async fn save((): (), form: Theme, session: Session) -> Result<&'static str, SessionError> {
//!     session.set_typed(&form).await?;
//!     Ok("saved")
//! }
//! async fn page(session: Session) -> Result<String, SessionError> {
//!     let Typed(theme) = Typed::<Theme>::of(&session).await?;
//!     Ok(format!("theme: {}", theme.theme))
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build()?;
//! let sessions = Sessions::new(SessionManager::new(config, MemoryStore::new()));
//! let routes = warp::path!("form").and(sessions.handle(form))
//!     .or(warp::post().and(sessions.csrf_form(warp::path!("save").map(|| ()), save)))
//!     .or(warp::path::end().and(sessions.handle(page)));
//! let res = warp::test::request().path("/form").reply(&routes).await;
//! let set_cookie = res.headers().get("set-cookie").ok_or("no cookie")?.to_str()?;
//! let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
//! let token = String::from_utf8(res.body().to_vec())?;
//!
//! let saving = |body: String| {
//!     warp::test::request().method("POST").path("/save").header("cookie", &cookie)
//!         .header("content-type", "application/x-www-form-urlencoded").body(body)
//! };
//! assert_eq!(saving("theme=dark".into()).reply(&routes).await.status(), 403);
//! let res = saving(format!("theme=dark&csrf_token={token}")).reply(&routes).await;
//! assert_eq!(res.status(), 200);
//! let res = warp::test::request().path("/").header("cookie", &cookie).reply(&routes).await;
//! assert_eq!(res.body(), "theme: dark");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! Errors: a store that fails while the handler uses the session surfaces as [`SessionError`], which
//! is a [`warp::Reply`] (so a handler's `Result<impl Reply, SessionError>` is a reply); one that fails
//! while the session is saved after the handler turns the response into an empty 503 (store down or slow),
//! conflict (409 by default) or 500. Nothing panics and nothing is half-saved: on a 5xx reply
//! the core saves nothing.
//!
//! Features: `memory` (default), `tokio`, `redis`, `redis-cluster`, `redis-tls`,
//! `redis-sentinel`, `postgres`, `mysql`,
//! `sqlite`, `express`, `msgpack`: the stores and codecs of [`session_stores`] (see its
//! documentation for each), forwarded, so that this crate is the only dependency an app needs.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod csrf;
mod error;
mod filter;

pub use error::SessionError;
pub use filter::{Session, Sessions, Typed};

/// The core crate, for what the prelude leaves out (the adapter kit, decisions, ...).
pub use session_core;
pub use session_core::adapter::prelude::*;
/// The stores crate.
pub use session_stores;
#[doc(no_inline)]
pub use session_stores::*;
