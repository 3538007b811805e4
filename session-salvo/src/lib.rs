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
//! Errors: a store that fails while the handler uses the session surfaces as [`SessionError`]
//! (return it with `?`); one that fails while the hoop saves turns the response into a 503
//! (store down or slow), a conflict status (409 by default) or a 500 without the handler's
//! body or headers, and the cause is logged with `tracing`. Nothing panics and nothing is
//! half-saved: on a 5xx response the core saves nothing.
//!
//! [`SessionManager::begin`]: session_core::SessionManager::begin
//! [`SessionManager::finish`]: session_core::SessionManager::finish
//!
//! Features: `memory` (default), `tokio`, `redis`, `redis-cluster`, `postgres`, `mysql`,
//! `sqlite`, `express`, `msgpack`: the stores and codecs of [`session_stores`] (see its
//! documentation for each), forwarded, so that this crate is the only dependency an app needs.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod hoop;

use salvo::extract::{Extractible, Metadata};
use salvo::{Depot, Request};

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
