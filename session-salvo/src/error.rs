//! The error a handler returns when the session fails.

use salvo::http::StatusCode;
use salvo::{Response, Scribe};

session_core::session_error!(
    /// Why the session is unavailable to a handler; `?` turns a
    /// [`session_core::SessionError`] into it. As a [`Scribe`] it sets
    /// [`SessionError::status`] and writes no body, so that the app's catcher renders the
    /// error like any other; the cause is logged with `tracing`, never sent to the client.
    ///
    /// ```
    /// use salvo::Scribe;
    /// use session_core::{StoreError, StoreErrorKind};
    /// use session_salvo::SessionError;
    /// let down = session_core::SessionError::Store(StoreError::from_kind(StoreErrorKind::Unavailable));
    /// let mut res = salvo::Response::new();
    /// SessionError::from(down).render(&mut res);
    /// assert_eq!(res.status_code, Some(salvo::http::StatusCode::SERVICE_UNAVAILABLE));
    /// ```
    SessionError,
    "add session_salvo::SessionMiddleware to the router (Router::hoop)"
);

impl Scribe for SessionError {
    fn render(self, res: &mut Response) {
        tracing::error!(error = %self, "session error");
        res.status_code(status_code(self.status()));
    }
}

/// `status` as a status code (500 if it is not a valid one).
pub(crate) fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
