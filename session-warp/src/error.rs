//! The error a handler returns when the session fails.

use std::fmt;

use session_core::SessionError as CoreError;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

/// Why the session is unavailable to a handler. As a [`Reply`] it is an empty response with
/// [`SessionError::status`]; the cause is logged with `tracing`, never sent to the client.
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
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionError {
    /// The core failed (store down, undecodable value, ...).
    Session(CoreError),
}

impl SessionError {
    /// The HTTP status: 503 when the store is down or slow, 500 otherwise. (A conflict only
    /// arises when [`crate::Session::finish`] saves, which uses the configured status.)
    pub fn status(&self) -> u16 {
        match self {
            Self::Session(e) => e.status(409),
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
            Self::Session(e) => write!(f, "session error: {e}"),
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Session(e) => Some(e),
        }
    }
}

impl Reply for SessionError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "session error");
        empty(self.status())
    }
}

/// An empty response with `status` (500 if it is not a valid status code).
pub(crate) fn empty(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    warp::reply::with_status(warp::reply(), status).into_response()
}
