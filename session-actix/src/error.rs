//! The error a handler returns when the session fails.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use session_core::SessionError as CoreError;

/// The conflict status used for errors a handler returns. A conflict only arises when the
/// middleware saves (handlers' calls only load), and there the configured status is used.
const HANDLER_CONFLICT_STATUS: u16 = 409;

/// Why the session is unavailable to a handler. Its response is an empty body with
/// [`SessionError::status`]; the cause is logged with `tracing`, never sent to the client.
///
/// ```
/// use session_actix::SessionError;
/// use session_core::{StoreError, StoreErrorKind};
/// let down = session_core::SessionError::Store(StoreError::from_kind(StoreErrorKind::Unavailable));
/// assert_eq!(SessionError::from(down).status(), 503);
/// assert_eq!(SessionError::MissingMiddleware.status(), 500);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionError {
    /// The core failed (store down, undecodable value, ...).
    Session(CoreError),
    /// The core failed while the middleware finished the session; carries the status chosen
    /// with the configured conflict status.
    Finish(CoreError, u16),
    /// A handler asked for the [`crate::Session`] but no [`crate::SessionMiddleware`] wraps it.
    MissingMiddleware,
}

impl SessionError {
    /// The HTTP status this error answers with: 503 when the store is down or slow, the
    /// conflict status for a concurrent change, 500 otherwise.
    pub fn status(&self) -> u16 {
        match self {
            Self::Session(e) => e.status(HANDLER_CONFLICT_STATUS),
            Self::Finish(_, status) => *status,
            Self::MissingMiddleware => 500,
        }
    }
}

impl From<CoreError> for SessionError {
    fn from(e: CoreError) -> Self {
        Self::Session(e)
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Session(e) | Self::Finish(e, _) => write!(f, "session error: {e}"),
            Self::MissingMiddleware => {
                f.write_str("the Session extractor needs SessionMiddleware around the route")
            }
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Session(e) | Self::Finish(e, _) => Some(e),
            Self::MissingMiddleware => None,
        }
    }
}

impl ResponseError for SessionError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        tracing::error!(error = %self, "session error");
        HttpResponse::new(self.status_code())
    }
}
