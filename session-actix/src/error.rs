//! The error a handler returns when the session fails.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

session_core::session_error!(
    /// Why the session is unavailable to a handler; `?` turns a
    /// [`session_core::SessionError`] into it. Its response has [`SessionError::status`] and
    /// an empty body, but for a CSRF refusal (403), whose short text asks the user to reload
    /// the page; the cause is logged with `tracing`, never sent to the client.
    ///
    /// ```
    /// use session_actix::SessionError;
    /// use session_core::{StoreError, StoreErrorKind};
    /// let down = session_core::SessionError::Store(StoreError::from_kind(StoreErrorKind::Unavailable));
    /// assert_eq!(SessionError::from(down).status(), 503);
    /// assert_eq!(SessionError::NotInstalled.status(), 500);
    /// ```
    SessionError,
    "wrap the app in session_actix::SessionMiddleware"
);

impl ResponseError for SessionError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        tracing::error!(error = %self, "session error");
        match self {
            Self::Csrf(_) => HttpResponse::build(self.status_code())
                .content_type("text/plain; charset=utf-8")
                .body("the form is out of date or was not sent from this site; reload the page"),
            _ => HttpResponse::new(self.status_code()),
        }
    }
}
