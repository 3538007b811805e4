//! # session-poem
//!
//! [poem 3](https://docs.rs/poem) adapter for [`session_core`]: wrap the endpoint in
//! [`SessionMiddleware`] and take a [`Session`] argument in any handler.
//!
//! ```
//! use poem::{get, handler, Endpoint, EndpointExt, Request, Route};
//! use session_poem::{Config, MemoryStore, Session, SessionError, SessionManager, SessionMiddleware};
//!
//! #[handler]
//! async fn visit(session: Session) -> Result<String, SessionError> {
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
//! let app = Route::new()
//!     .at("/", get(visit))
//!     .with(SessionMiddleware::new(manager));
//!
//! // Serve it with `poem::Server`; here two requests go straight through the endpoint.
//! let res = app.call(Request::builder().finish()).await?;
//! let set_cookie = res.headers()["set-cookie"].to_str()?;
//! assert!(set_cookie.starts_with("id=s%3A"));
//! let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
//!
//! let mut res = app.call(Request::builder().header("cookie", cookie).finish()).await?;
//! assert_eq!(res.take_body().into_string().await?, "visit 2");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! What the middleware does per request, and nothing more (every session policy is the
//! core's): maps the `Cookie` headers, the socket's peer address and the listener's TLS onto
//! [`session_core::HttpRequest`] and calls [`SessionManager::begin`] (no IO yet); puts the
//! [`Session`] in the request's extensions and calls the endpoint; then calls
//! [`SessionManager::finish`] with the response's status (an endpoint's error counts with
//! its status) and appends the outcome's headers (`Set-Cookie`).
//!
//! Forms: [`CsrfMiddleware`], on the endpoints to protect, refuses POST, PUT, PATCH and DELETE
//! requests without the session's CSRF token (a 403); [`Typed<T>`] hands a handler the
//! session's [`SessionValue`] of type `T`.
//!
//! ```
//! use poem::{get, handler, post, Endpoint, EndpointExt, Request, Route};
//! use serde::{Deserialize, Serialize};
//! use session_poem::{Config, CsrfMiddleware, MemoryStore, Session, SessionError};
//! use session_poem::{SessionManager, SessionMiddleware, SessionValue, Typed};
//!
//! #[derive(Serialize, Deserialize, Default)]
//! struct Theme(String);
//! impl SessionValue for Theme {
//!     const KEY: &'static str = "theme";
//! }
//!
//! #[handler]
//! async fn form(session: Session) -> Result<String, SessionError> {
//!     Ok(session.csrf_token().await?) // rendered into the form's `csrf_token` field
//! }
//! #[handler]
//! async fn save(session: Session, body: String) -> Result<(), SessionError> {
//!     Ok(session.set_typed(&Theme(body)).await?)
//! }
//! #[handler]
//! fn page(Typed(theme): Typed<Theme>) -> String {
//!     format!("theme: {}", theme.0)
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build()?;
//! let app = Route::new()
//!     .at("/form", get(form))
//!     .at("/", get(page))
//!     .at("/save", post(save).with(CsrfMiddleware::new()))
//!     .with(SessionMiddleware::new(SessionManager::new(config, MemoryStore::new())));
//! let mut res = app.call(Request::builder().uri_str("/form").finish()).await?;
//! let cookie = res.headers()["set-cookie"].to_str()?.split(';').next().unwrap_or_default().to_owned();
//! let token = res.take_body().into_string().await?;
//!
//! let saving = || Request::builder().method(poem::http::Method::POST).uri_str("/save").header("cookie", &cookie);
//! let res = app.get_response(saving().body("dark")).await;
//! assert_eq!(res.status(), 403);
//! let res = app.get_response(saving().header("x-csrf-token", token).body("dark")).await;
//! assert_eq!(res.status(), 200);
//! let mut res = app.call(Request::builder().header("cookie", &cookie).finish()).await?;
//! assert_eq!(res.take_body().into_string().await?, "theme: dark");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! Errors: a store that fails while the handler uses the session surfaces as [`SessionError`]
//! (return it with `?`); one that fails while the middleware saves turns the response into an
//! empty 503 (store down or slow), a conflict status (409 by default) or a 500, and the cause
//! is logged with `tracing`. Nothing panics and nothing is half-saved: on a 5xx response the
//! core saves nothing.
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
mod middleware;

use poem::{FromRequest, Request, RequestBody};

pub use csrf::{CsrfEndpoint, CsrfMiddleware};
pub use error::SessionError;
pub use middleware::{SessionEndpoint, SessionMiddleware};

/// The core crate, for what the prelude leaves out (the adapter kit, decisions, ...).
pub use session_core;
pub use session_core::adapter::prelude::*;
/// The stores crate.
pub use session_stores;
#[doc(no_inline)]
pub use session_stores::*;

session_core::session_handle!(
    /// The request's session: an extractor that derefs to [`session_core::Session`], so it has
    /// the same API as in every other adapter. Extracting it does not touch the store: the
    /// session loads when first read or written. Needs [`SessionMiddleware`] around the
    /// endpoint; without it extraction fails with [`SessionError::NotInstalled`] (a 500).
    ///
    /// ```
    /// use session_poem::{Session, SessionError};
    /// #[poem::handler]
    /// async fn logout(session: Session) -> Result<&'static str, SessionError> {
    ///     session.destroy();
    ///     Ok("bye")
    /// }
    /// ```
    Session
);

impl<'a> FromRequest<'a> for Session {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        req.extensions()
            .get::<Session>()
            .cloned()
            .ok_or_else(|| SessionError::NotInstalled.into())
    }
}

/// The session's value of type `T` (see [`SessionValue`]), or `T::default()` when it has
/// none: an extractor for handlers that only read it. A stored value of another type reads as the default (see
/// [`session_core::Session::typed_or_default`]). Write it back with [`session_core::Session::set_typed`].
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use session_poem::{SessionValue, Typed};
///
/// #[derive(Serialize, Deserialize, Default)]
/// struct Prefs { theme: String }
/// impl SessionValue for Prefs { const KEY: &'static str = "prefs"; }
///
/// #[poem::handler]
/// fn page(Typed(prefs): Typed<Prefs>) -> String {
///     format!("theme: {}", prefs.theme)
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Typed<T>(pub T);

impl<'a, T: SessionValue + Default + Send> FromRequest<'a> for Typed<T> {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let session = Session::from_request(req, body).await?;
        let value = session
            .typed_or_default()
            .await
            .map_err(SessionError::from)?;
        Ok(Typed(value))
    }
}
