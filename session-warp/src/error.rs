//! The error a handler returns when the session fails.

use warp::http::StatusCode;
use warp::reply::{Reply, Response};

session_core::session_error!(
    /// Why the session is unavailable to a handler; `?` turns a
    /// [`session_core::SessionError`] into it. As a [`Reply`] it has [`SessionError::status`]
    /// and an empty body, but for a CSRF refusal (403), whose short text asks the user to
    /// reload the page; the cause is logged with `tracing`, never sent to the client.
    ///
    /// ```
    /// use session_core::{StoreError, StoreErrorKind};
    /// use session_warp::SessionError;
    /// use warp::Reply;
    /// let down = session_core::SessionError::Store(StoreError::from_kind(StoreErrorKind::Unavailable));
    /// let err = SessionError::from(down);
    /// assert_eq!(err.status(), 503);
    /// assert_eq!(err.into_response().status(), 503);
    /// ```
    SessionError,
    "take the session from session_warp::Sessions::filter"
);

impl Reply for SessionError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "session error");
        match self {
            Self::Csrf(_) => {
                let text =
                    "the form is out of date or was not sent from this site; reload the page";
                warp::reply::with_status(text, StatusCode::FORBIDDEN).into_response()
            }
            _ => empty(self.status()),
        }
    }
}

/// An empty response with `status` (500 if it is not a valid status code).
pub(crate) fn empty(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    warp::reply::with_status(warp::reply(), status).into_response()
}
