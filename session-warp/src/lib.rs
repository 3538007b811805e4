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
//! Errors: a store that fails while the handler uses the session surfaces as [`SessionError`], which
//! is a [`warp::Reply`] (so a handler's `Result<impl Reply, SessionError>` is a reply); one that fails
//! while the session is saved after the handler turns the response into an empty 503 (store down or slow),
//! conflict (409 by default) or 500. Nothing panics and nothing is half-saved: on a 5xx reply
//! the core saves nothing.
//!
//! Features: `memory` (default), `tokio`, `redis`, `redis-cluster`, `postgres`, `mysql`,
//! `sqlite`, `express`, `msgpack`: the stores and codecs of [`session_stores`] (see its
//! documentation for each), forwarded, so that this crate is the only dependency an app needs.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod filter;

pub use error::SessionError;
pub use filter::{Session, Sessions};

/// The core crate, for what the prelude leaves out (the adapter kit, decisions, ...).
pub use session_core;
pub use session_core::adapter::prelude::*;
/// The stores crate.
pub use session_stores;
#[doc(no_inline)]
pub use session_stores::*;
