//! # session-tonic
//!
//! [tonic](https://docs.rs/tonic) (gRPC) adapter for [`session_core`]. [`SessionLayer`] gives
//! every call a session, read from the request metadata, and sends a new or re-issued token
//! back in the response's initial metadata; [`Session::from_request`] hands it to a service
//! method.
//!
//! gRPC clients keep no cookies: configure the core's header transport, with cookies off.
//!
//! ```
//! use session_tonic::{Config, MemoryStore, Session, SessionError, SessionLayer, SessionManager, TokenHeader};
//!
//! // In a service method: `Ok(tonic::Response::new(increment(&request).await?))`.
//! async fn increment<T>(request: &tonic::Request<T>) -> Result<u64, SessionError> {
//!     let session = Session::from_request(request)?;
//!     let count: u64 = session.get("count").await?.unwrap_or(0) + 1;
//!     session.insert("count", count).await?;
//!     Ok(count)
//! }
//!
//! let config = Config::builder()
//!     .secret("a secret of at least thirty-two bytes!!")
//!     .cookie_transport(false)
//!     .token_header(TokenHeader::Named("x-session-token".into()))
//!     .build()?;
//! let layer = SessionLayer::new(SessionManager::new(config, MemoryStore::new()));
//! // Then `.add_service(...)` and `.serve(addr)`.
//! let server = tonic::transport::Server::builder().layer(layer);
//! # let _ = (server, increment::<()>);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What the layer does per call, and nothing more (every session policy is the core's):
//!
//! 1. maps the request metadata and the peer address (tonic's
//!    [`TcpConnectInfo`](tonic::transport::server::TcpConnectInfo)) onto
//!    [`session_core::HttpRequest`], and calls [`SessionManager::begin`]: no IO yet;
//! 2. puts the [`session_core::Session`] in the request's extensions and calls the service;
//! 3. when the service returns its response, calls [`SessionManager::finish`] with the HTTP
//!    equivalent of the call's status (a `grpc-status` in the response headers, as in an
//!    error response; 200 otherwise: a call the server failed saves nothing) and appends the
//!    outcome's headers to the initial metadata.
//!
//! A server-streaming call is finished in step 3, before its first message: a change made
//! from inside the stream fails with [`session_core::SessionError::Finished`] and changes
//! nothing. Make every change in the method, before it returns the stream.
//!
//! Errors: a store failure while the method uses the session is a [`SessionError`], which
//! converts into a [`tonic::Status`] (`?` at the method's boundary). When saving fails in
//! step 3 the response is replaced by a trailers-only error response: `Unavailable` when the
//! store is down or slow, `Aborted` for a concurrent change, `Internal` otherwise; the cause
//! is logged with `tracing`. Nothing panics and nothing is half-saved.
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

mod error;
mod layer;

pub use error::SessionError;
pub use layer::{SessionLayer, SessionService};

/// The core crate, for what the prelude leaves out (the adapter kit, decisions, ...).
pub use session_core;
pub use session_core::adapter::prelude::*;
/// The stores crate.
pub use session_stores;
#[doc(no_inline)]
pub use session_stores::*;

session_core::session_handle!(
    /// The call's session, taken from the request with [`Session::from_request`]. Derefs to
    /// [`session_core::Session`], so every method of the core's handle (`get`, `insert`,
    /// `regenerate`, `destroy`, ...) is available.
    ///
    /// Taking it does not touch the store: the session loads when first read or written.
    Session
);

impl Session {
    /// The session [`SessionLayer`] put in this request's extensions; without the layer,
    /// [`SessionError::NotInstalled`] (an `Internal` status).
    ///
    /// ```
    /// let request = tonic::Request::new(());
    /// let missing = session_tonic::Session::from_request(&request).unwrap_err();
    /// assert_eq!(tonic::Status::from(missing).code(), tonic::Code::Internal);
    /// ```
    pub fn from_request<T>(request: &tonic::Request<T>) -> Result<Self, SessionError> {
        request
            .extensions()
            .get::<session_core::Session>()
            .cloned()
            .map(Session::from)
            .ok_or(SessionError::NotInstalled)
    }
}
