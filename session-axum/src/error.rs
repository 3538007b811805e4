//! The error a handler returns when the session fails.

use std::fmt;

use axum::response::{IntoResponse, Response};
use http::StatusCode;

/// A [`session_core::SessionError`] as an axum response, so handlers can use `?` on session
/// calls. The response is the error's status (503 when the store is down or slow, 500
/// otherwise) with a generic body; the cause is logged with `tracing`, never sent.
///
/// ```
/// use axum::response::IntoResponse;
/// use session_core::{StoreError, StoreErrorKind};
/// let down = session_core::SessionError::Store(StoreError::from_kind(StoreErrorKind::Unavailable));
/// let err = session_axum::SessionError::from(down);
/// assert_eq!(err.status(), 503);
/// assert_eq!(err.into_response().status(), 503);
/// ```
#[derive(Debug)]
pub struct SessionError(pub session_core::SessionError);

impl SessionError {
    /// The HTTP status this error answers with. A conflict can only arise while the layer
    /// saves, where the configured conflict status applies; here it is 409.
    ///
    /// ```
    /// let err = session_axum::SessionError::from(session_core::SessionError::Conflict);
    /// assert_eq!(err.status(), 409);
    /// ```
    pub fn status(&self) -> u16 {
        self.0.status(409)
    }
}

impl From<session_core::SessionError> for SessionError {
    fn from(e: session_core::SessionError) -> Self {
        Self(e)
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "session error: {}", self.0)
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl IntoResponse for SessionError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        tracing::error!(error = %self.0, status = status.as_u16(), "session error in handler");
        let body = match status {
            StatusCode::SERVICE_UNAVAILABLE => "session storage is unavailable; try again shortly",
            StatusCode::CONFLICT => "the session changed concurrently; try again",
            _ => "session error",
        };
        (status, body).into_response()
    }
}
