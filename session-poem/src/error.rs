//! The error a handler returns when the session fails.

use poem::error::ResponseError;
use poem::http::StatusCode;
use poem::Response;

session_core::session_error!(
    /// Why the session is unavailable to a handler; `?` turns a
    /// [`session_core::SessionError`] into it, and poem turns it into a [`poem::Error`]. Its
    /// response has [`SessionError::status`] and an empty body, but for a CSRF refusal (403),
    /// whose short text asks the user to reload the page; the cause is logged with `tracing`,
    /// never sent to the client.
    ///
    /// ```
    /// use poem::IntoResponse;
    /// use session_core::{StoreError, StoreErrorKind};
    /// use session_poem::SessionError;
    /// let down = session_core::SessionError::Store(StoreError::from_kind(StoreErrorKind::Unavailable));
    /// assert_eq!(SessionError::from(down).status(), 503);
    /// let res = poem::Error::from(SessionError::NotInstalled).into_response();
    /// assert_eq!(res.status(), 500);
    /// ```
    SessionError,
    "wrap the endpoint in session_poem::SessionMiddleware (EndpointExt::with)"
);

impl ResponseError for SessionError {
    fn status(&self) -> StatusCode {
        StatusCode::from_u16(SessionError::status(self))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn as_response(&self) -> Response {
        tracing::error!(error = %self, "session error");
        match self {
            Self::Csrf(_) => Response::builder()
                .status(ResponseError::status(self))
                .content_type("text/plain; charset=utf-8")
                .body("the form is out of date or was not sent from this site; reload the page"),
            _ => empty(SessionError::status(self)),
        }
    }
}

/// An empty response with `status` (500 if it is not a valid status code).
pub(crate) fn empty(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Response::builder().status(status).finish()
}
