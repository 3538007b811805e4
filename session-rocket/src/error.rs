//! The error a route returns when the session fails.

use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder};

session_core::session_error!(
    /// Why the session is unavailable to a route; `?` turns a [`session_core::SessionError`]
    /// into it. As a responder it forwards to Rocket's catcher for [`SessionError::status`];
    /// the cause is logged with `tracing`, never sent to the client.
    ///
    /// ```
    /// use session_core::{StoreError, StoreErrorKind};
    /// use session_rocket::SessionError;
    /// let down = session_core::SessionError::Store(StoreError::from_kind(StoreErrorKind::Unavailable));
    /// assert_eq!(SessionError::from(down).status(), 503);
    /// assert_eq!(SessionError::NotInstalled.status(), 500);
    /// ```
    SessionError,
    "attach session_rocket::SessionFairing to the Rocket"
);

impl<'r> Responder<'r, 'static> for SessionError {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        tracing::error!(error = %self, "session error");
        Err(Status::new(self.status()))
    }
}
