//! # session-salvo
//!
//! [salvo 1](https://salvo.rs) adapter for [`session_core`]: put [`SessionMiddleware`] on the
//! router with `Router::hoop` and take a [`Session`] argument in any `#[handler]` (with
//! `salvo::prelude::*` imported, as for every salvo extractor).
//!
//! ```
//! use salvo::prelude::*;
//! use salvo::test::{ResponseExt, TestClient};
//! use session_salvo::{Config, MemoryStore, Session, SessionError, SessionManager, SessionMiddleware};
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
//! let router = Router::new().hoop(SessionMiddleware::new(manager)).get(visit);
//! let service = Service::new(router);
//!
//! // Serve it with `salvo::Server`; here two requests go straight through the service.
//! let res = TestClient::get("http://127.0.0.1/").send(&service).await;
//! let set_cookie = res.headers()["set-cookie"].to_str()?;
//! assert!(set_cookie.starts_with("id=s%3A"));
//! let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
//!
//! let mut res = TestClient::get("http://127.0.0.1/")
//!     .add_header("cookie", cookie, true)
//!     .send(&service)
//!     .await;
//! assert_eq!(res.take_string().await?, "visit 2");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! What the hoop does per request, and nothing more (every session policy is the core's):
//! maps the `Cookie` headers, the socket's peer address and the acceptor's TLS onto
//! [`session_core::HttpRequest`] and calls [`SessionManager::begin`] (no IO yet); puts the
//! [`Session`] in the [`Depot`] and runs the rest of the chain; then calls
//! [`SessionManager::finish`] with the response's status and appends the outcome's headers
//! (`Set-Cookie`).
//!
//! Forms: [`CsrfMiddleware`], a hoop on the routers to protect, refuses POST, PUT, PATCH and
//! DELETE requests without the session's CSRF token (a 403); [`Typed<T>`] hands a handler the
//! session's [`SessionValue`] of type `T`. Both hoops are named `...Middleware`, as in the
//! other adapters.
//!
//! ```
//! use salvo::prelude::*;
//! use salvo::test::{ResponseExt, TestClient};
//! use serde::{Deserialize, Serialize};
//! use session_salvo::{Config, CsrfMiddleware, MemoryStore, Session, SessionError};
//! use session_salvo::{SessionManager, SessionMiddleware, SessionValue, Typed};
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
//! async fn save(session: Session, req: &mut Request) -> Result<(), SessionError> {
//!     let theme = req.form::<String>("theme").await.unwrap_or_default();
//!     Ok(session.set_typed(&Theme(theme)).await?)
//! }
//! #[handler]
//! async fn page(theme: Typed<Theme>) -> String {
//!     format!("theme: {}", theme.0 .0)
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build()?;
//! let router = Router::new()
//!     .hoop(SessionMiddleware::new(SessionManager::new(config, MemoryStore::new())))
//!     .get(page)
//!     .push(Router::with_path("form").get(form))
//!     .push(Router::with_path("save").hoop(CsrfMiddleware::new()).post(save));
//! let service = Service::new(router);
//! let mut res = TestClient::get("http://127.0.0.1/form").send(&service).await;
//! let cookie = res.headers()["set-cookie"].to_str()?.split(';').next().unwrap_or_default().to_owned();
//! let token = res.take_string().await?;
//!
//! let saving = |body: String| {
//!     TestClient::post("http://127.0.0.1/save")
//!         .add_header("cookie", &cookie, true)
//!         .add_header("content-type", "application/x-www-form-urlencoded", true)
//!         .raw_form(body)
//! };
//! let res = saving("theme=dark".into()).send(&service).await;
//! assert_eq!(res.status_code, Some(StatusCode::FORBIDDEN));
//! let res = saving(format!("theme=dark&csrf_token={token}")).send(&service).await;
//! assert_eq!(res.status_code, Some(StatusCode::OK));
//! let mut res = TestClient::get("http://127.0.0.1/").add_header("cookie", &cookie, true).send(&service).await;
//! assert_eq!(res.take_string().await?, "theme: dark");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! Errors: a store that fails while the handler uses the session surfaces as [`SessionError`]
//! (return it with `?`); one that fails while the hoop saves turns the response into a 503
//! (store down or slow), a conflict status (409 by default) or a 500 without the handler's
//! body or headers, and the cause is logged with `tracing`. Nothing panics and nothing is
//! half-saved: on a 5xx response the core saves nothing.
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
mod hoop;

use salvo::extract::{Extractible, Metadata};
use salvo::{Depot, Request};

pub use csrf::CsrfMiddleware;
pub use error::SessionError;
pub use hoop::SessionMiddleware;

/// The core crate, for what the prelude leaves out (the adapter kit, decisions, ...).
pub use session_core;
pub use session_core::adapter::prelude::*;
/// The stores crate.
pub use session_stores;
#[doc(no_inline)]
pub use session_stores::*;

session_core::session_handle!(
    /// The request's session: a `#[handler]` argument that derefs to
    /// [`session_core::Session`], so it has the same API as in every other adapter. Taking it
    /// does not touch the store: the session loads when first read or written. Needs
    /// [`SessionMiddleware`] on the router; without it the handler is answered with
    /// [`SessionError::NotInstalled`] (a 500).
    ///
    /// ```
    /// use salvo::prelude::*;
    /// use session_salvo::{Session, SessionError};
    /// #[handler]
    /// async fn logout(session: Session) -> Result<&'static str, SessionError> {
    ///     session.destroy();
    ///     Ok("bye")
    /// }
    /// ```
    Session
);

/// What salvo's extraction machinery (and OpenAPI) knows of a [`Session`]: nothing is read
/// from the request.
static METADATA: Metadata = Metadata::new("Session");

impl<'ex> Extractible<'ex> for Session {
    fn metadata() -> &'static Metadata {
        &METADATA
    }

    // The error type named, so that handlers can rely on it.
    #[allow(refining_impl_trait)]
    async fn extract(_req: &'ex mut Request, depot: &'ex mut Depot) -> Result<Self, SessionError> {
        depot.session().cloned().ok_or(SessionError::NotInstalled)
    }
}

/// The request's [`Session`] from the [`Depot`], for handlers and hoops that take the depot.
///
/// ```
/// use salvo::prelude::*;
/// use session_salvo::{SessionDepotExt, SessionError};
/// #[handler]
/// async fn whoami(depot: &mut Depot) -> Result<String, SessionError> {
///     let session = depot.session().ok_or(SessionError::NotInstalled)?;
///     Ok(session.user().await?.unwrap_or_default())
/// }
/// ```
pub trait SessionDepotExt {
    /// The session [`SessionMiddleware`] put there; `None` on a router without it.
    fn session(&self) -> Option<&Session>;
}

impl SessionDepotExt for Depot {
    fn session(&self) -> Option<&Session> {
        self.get_typed::<Session>().ok()
    }
}

/// The session's value of type `T` (see [`SessionValue`]), or `T::default()` when it has
/// none: a `#[handler]` argument for handlers that only read it. A stored value of another type reads as the default (see
/// [`session_core::Session::typed_or_default`]). Write it back with
/// [`session_core::Session::set_typed`].
///
/// ```
/// use salvo::prelude::*;
/// use serde::{Deserialize, Serialize};
/// use session_salvo::{SessionValue, Typed};
///
/// #[derive(Serialize, Deserialize, Default)]
/// struct Prefs { theme: String }
/// impl SessionValue for Prefs { const KEY: &'static str = "prefs"; }
///
/// #[handler]
/// async fn page(prefs: Typed<Prefs>) -> String {
///     format!("theme: {}", prefs.0.theme)
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Typed<T>(pub T);

/// What salvo's extraction machinery (and OpenAPI) knows of a [`Typed`]: nothing is read from
/// the request.
static TYPED_METADATA: Metadata = Metadata::new("Typed");

impl<'ex, T: SessionValue + Default + Send> Extractible<'ex> for Typed<T> {
    fn metadata() -> &'static Metadata {
        &TYPED_METADATA
    }

    #[allow(refining_impl_trait)]
    async fn extract(_req: &'ex mut Request, depot: &'ex mut Depot) -> Result<Self, SessionError> {
        let session = depot.session().cloned().ok_or(SessionError::NotInstalled)?;
        Ok(Typed(session.typed_or_default().await?))
    }
}
