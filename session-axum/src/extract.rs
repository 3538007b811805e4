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

/// The session's value of type `T` (see [`session_core::SessionValue`]), or `T::default()`
/// when it has none: an extractor for handlers that only read it. A stored value of another type reads as the default (see
/// [`session_core::Session::typed_or_default`]). Write it back with [`session_core::Session::set_typed`].
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use session_axum::{SessionValue, Typed};
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

impl<S, T> FromRequestParts<S> for Typed<T>
where
    S: Send + Sync,
    T: session_core::SessionValue + Default + Send,
{
    type Rejection = SessionError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        Ok(Typed(session.typed_or_default().await?))
    }
}
