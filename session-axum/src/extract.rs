//! The `Session` extractor.

use std::fmt;
use std::ops::Deref;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::StatusCode;

/// The request's session, as an axum extractor. Derefs to [`session_core::Session`], so every
/// method of the core's handle (`get`, `insert`, `regenerate`, `destroy`, ...) is available.
///
/// Extracting it does not touch the store: the session loads when first read or written.
///
/// ```
/// use session_axum::{Session, SessionError};
///
/// async fn visits(session: Session) -> Result<String, SessionError> {
///     let n: u64 = session.get("visits").await?.unwrap_or(0) + 1;
///     session.insert("visits", n).await?;
///     Ok(format!("visit {n}"))
/// }
/// let app: axum::Router = axum::Router::new().route("/", axum::routing::get(visits));
/// # let _ = app;
/// ```
#[derive(Clone, Debug)]
pub struct Session(pub session_core::Session);

impl Deref for Session {
    type Target = session_core::Session;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = MissingSessionLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<session_core::Session>()
            .cloned()
            .map(Session)
            .ok_or(MissingSessionLayer)
    }
}

/// The rejection when a handler asks for a [`Session`] on a route the [`crate::SessionLayer`]
/// does not cover: a 500 whose body says so (a programming error, not a client's).
///
/// ```
/// use axum::response::IntoResponse;
/// let res = session_axum::MissingSessionLayer.into_response();
/// assert_eq!(res.status(), 500);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingSessionLayer;

impl fmt::Display for MissingSessionLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "no session on this request: add session_axum::SessionLayer to the router \
             (with Router::layer, after the routes that use Session)",
        )
    }
}

impl std::error::Error for MissingSessionLayer {}

impl IntoResponse for MissingSessionLayer {
    fn into_response(self) -> Response {
        tracing::error!("{self}");
        (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
    }
}
