//! The `Session` extractor.

use axum::extract::FromRequestParts;
use http::request::Parts;

use crate::SessionError;

session_core::session_handle!(
    /// The request's session, as an axum extractor. Derefs to [`session_core::Session`], so
    /// every method of the core's handle (`get`, `insert`, `regenerate`, `destroy`, ...) is
    /// available, and [`session_core::Session::manager`] reaches the manager.
    ///
    /// Extracting it does not touch the store: the session loads when first read or written.
    /// On a route the [`crate::SessionLayer`] does not cover, extraction fails with
    /// [`SessionError::NotInstalled`] (a 500).
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
    Session
);

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = SessionError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<session_core::Session>()
            .cloned()
            .map(Session::from)
            .ok_or(SessionError::NotInstalled)
    }
}
