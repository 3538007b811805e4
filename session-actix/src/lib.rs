//! # session-actix
//!
//! [actix-web 4](https://actix.rs) adapter for [`session_core`]: wrap the app in
//! [`SessionMiddleware`] and take a [`Session`] argument in any handler.
//!
//! ```
//! use actix_web::{test, web, App, HttpResponse};
//! use session_actix::{Config, MemoryStore, Session, SessionError, SessionManager, SessionMiddleware};
//!
//! async fn visit(session: Session) -> Result<HttpResponse, SessionError> {
//!     let visits: u64 = session.get("visits").await?.unwrap_or(0);
//!     session.insert("visits", visits + 1).await?;
//!     Ok(HttpResponse::Ok().body(format!("visit {}", visits + 1)))
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let config = Config::builder()
//!     .secret("a secret of at least thirty-two bytes!!")
//!     .build()?;
//! let manager = SessionManager::new(config, MemoryStore::new());
//!
//! let app = test::init_service(
//!     App::new()
//!         .wrap(SessionMiddleware::new(manager))
//!         .route("/", web::get().to(visit)),
//! )
//! .await;
//! let res = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
//! let cookie = res.headers().get("set-cookie").unwrap().to_str()?;
//! assert!(cookie.starts_with("id=s%3A"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! Errors: a store that fails while the handler uses the session surfaces as [`SessionError`] (return
//! it with `?`); one that fails while the middleware saves turns the response into a 503 (store
//! down or slow), a conflict status (409 by default) or a 500. Nothing panics and nothing is
//! half-saved: on a 5xx response the core saves nothing.
//!
//! Features: `memory` (default), `tokio`, `redis`, `redis-cluster`, `postgres`, `mysql`,
//! `sqlite`, `express`, `msgpack`: the stores and codecs of [`session_stores`] (see its
//! documentation for each), forwarded, so that this crate is the only dependency an app needs.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod middleware;

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

pub use error::SessionError;
pub use middleware::{SessionMiddleware, SessionService};

/// The core crate, for what the prelude leaves out (the adapter kit, decisions, ...).
pub use session_core;
pub use session_core::adapter::prelude::*;
/// The stores crate.
pub use session_stores;
#[doc(no_inline)]
pub use session_stores::*;

session_core::session_handle!(
    /// The request's session: an extractor that derefs to [`session_core::Session`], so it has
    /// the same API as in every other adapter. Needs [`SessionMiddleware`] around the route;
    /// without it extraction fails with [`SessionError::NotInstalled`] (a 500).
    ///
    /// ```
    /// use session_actix::{SessionError, Session};
    /// async fn logout(session: Session) -> Result<&'static str, SessionError> {
    ///     session.destroy();
    ///     Ok("bye")
    /// }
    /// ```
    Session
);

impl FromRequest for Session {
    type Error = SessionError;
    type Future = Ready<Result<Self, SessionError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Session>()
                .cloned()
                .ok_or(SessionError::NotInstalled),
        )
    }
}
