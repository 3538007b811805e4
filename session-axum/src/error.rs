//! The error a handler returns when the session fails.

use axum::response::{IntoResponse, Response};
use http::StatusCode;

session_core::session_error!(
    /// Why the session is unavailable to a handler; `?` turns a
    /// [`session_core::SessionError`] into it. As a response it has [`SessionError::status`]
    /// and a short body; the cause is logged with `tracing`, never sent to the client.
    ///
    /// ```
    /// use axum::response::IntoResponse;
    /// let err = session_axum::SessionError::from(session_core::SessionError::Conflict);
    /// assert_eq!(err.status(), 409);
    /// assert_eq!(session_axum::SessionError::NotInstalled.into_response().status(), 500);
    /// ```
    SessionError,
    "add session_axum::SessionLayer to the router (Router::layer, after the routes that use Session)"
);

impl IntoResponse for SessionError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        tracing::error!(error = %self, status = status.as_u16(), "session error in handler");
        // A missing layer is the app's setup, not the client's doing: the body says how to fix
        // it. Other causes stay in the log.
        if let Self::NotInstalled = self {
            return (status, self.to_string()).into_response();
        }
        let body = match status {
            StatusCode::SERVICE_UNAVAILABLE => "session storage is unavailable; try again shortly",
            StatusCode::CONFLICT => "the session changed concurrently; try again",
            StatusCode::FORBIDDEN => {
                "the form is out of date or was not sent from this site; reload the page"
            }
            _ => "session error",
        };
        (status, body).into_response()
    }
}
