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
//! Forms: [`CsrfMiddleware`], wrapped around the scopes to protect, refuses POST, PUT, PATCH
//! and DELETE requests without the session's CSRF token (a 403); [`Typed<T>`] hands a handler
//! the session's [`SessionValue`] of type `T`.
//!
//! ```
//! use actix_web::{test, web, App, HttpResponse};
//! use serde::{Deserialize, Serialize};
//! use session_actix::{Config, CsrfMiddleware, MemoryStore, Session, SessionError};
//! use session_actix::{SessionManager, SessionMiddleware, SessionValue, Typed};
//!
//! #[derive(Serialize, Deserialize, Default)]
//! struct Theme(String);
//! impl SessionValue for Theme {
//!     const KEY: &'static str = "theme";
//! }
//!
//! async fn form(session: Session) -> Result<String, SessionError> {
//!     Ok(session.csrf_token().await?) // rendered into the form's `csrf_token` field
//! }
//! async fn save(session: Session, body: String) -> Result<HttpResponse, SessionError> {
//!     session.set_typed(&Theme(body)).await?;
//!     Ok(HttpResponse::Ok().finish())
//! }
//! async fn page(Typed(theme): Typed<Theme>) -> String {
//!     format!("theme: {}", theme.0)
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build()?;
//! let app = test::init_service(
//!     App::new()
//!         .wrap(SessionMiddleware::new(SessionManager::new(config, MemoryStore::new())))
//!         .route("/form", web::get().to(form))
//!         .route("/", web::get().to(page))
//!         .service(web::scope("/save").wrap(CsrfMiddleware::new()).route("", web::post().to(save))),
//! )
//! .await;
//! let res = test::call_service(&app, test::TestRequest::get().uri("/form").to_request()).await;
//! let set_cookie = res.headers().get("set-cookie").ok_or("no cookie")?.to_str()?;
//! let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
//! let token = String::from_utf8(test::read_body(res).await.to_vec())?;
//!
//! let saving = || test::TestRequest::post().uri("/save").insert_header(("cookie", cookie.as_str()));
//! let res = test::call_service(&app, saving().set_payload("dark").to_request()).await;
//! assert_eq!(res.status(), 403);
//! let req = saving().insert_header(("x-csrf-token", token)).set_payload("dark").to_request();
//! assert_eq!(test::call_service(&app, req).await.status(), 200);
//! let req = test::TestRequest::get().uri("/").insert_header(("cookie", cookie.as_str()));
//! assert_eq!(test::call_and_read_body(&app, req.to_request()).await, "theme: dark");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! Errors: a store that fails while the handler uses the session surfaces as [`SessionError`] (return
//! it with `?`); one that fails while the middleware saves turns the response into a 503 (store
//! down or slow), a conflict status (409 by default) or a 500. Nothing panics and nothing is
//! half-saved: on a 5xx response the core saves nothing.
//!
//! Features: `memory` (default), `tokio`, `redis`, `redis-cluster`, `redis-tls`,
//! `redis-sentinel`, `postgres`, `mysql`,
//! `sqlite`, `express`, `msgpack`: the stores and codecs of [`session_stores`] (see its
//! documentation for each), forwarded, so that this crate is the only dependency an app needs.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod csrf;
mod error;
mod middleware;

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;

pub use csrf::{CsrfMiddleware, CsrfService};
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

/// The session's value of type `T` (see [`SessionValue`]), or `T::default()` when it has
/// none: an extractor for handlers that only read it. A stored value of another type reads as the default (see
/// [`session_core::Session::typed_or_default`]). Write it back with [`session_core::Session::set_typed`].
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use session_actix::{SessionValue, Typed};
///
/// #[derive(Serialize, Deserialize, Default)]
/// struct Prefs { theme: String }
/// impl SessionValue for Prefs { const KEY: &'static str = "prefs"; }
///
/// async fn page(Typed(prefs): Typed<Prefs>) -> String {
///     format!("theme: {}", prefs.theme)
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Typed<T>(pub T);

impl<T: SessionValue + Default + 'static> FromRequest for Typed<T> {
    type Error = SessionError;
    type Future = LocalBoxFuture<'static, Result<Self, SessionError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.extensions().get::<Session>().cloned();
        Box::pin(async move {
            let session = session.ok_or(SessionError::NotInstalled)?;
            Ok(Typed(session.typed_or_default().await?))
        })
    }
}
