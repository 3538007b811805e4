//! The error a route returns when the session fails.

use std::fmt;

use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder};
use session_core::SessionError as CoreError;

/// Why the session is unavailable to a route. As a responder it forwards to Rocket's catcher
/// for [`SessionError::status`]; the cause is logged with `tracing`, never sent to the client.
///
/// ```
/// use session_core::{StoreError, StoreErrorKind};
/// use session_rocket::SessionError;
/// let down = session_core::SessionError::Store(StoreError::from_kind(StoreErrorKind::Unavailable));
/// assert_eq!(SessionError::from(down).status(), 503);
/// assert_eq!(SessionError::MissingFairing.status(), 500);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionError {
    /// The core failed (store down, undecodable value, ...).
    Session(CoreError),
    /// A route asked for the [`crate::Session`] but no [`crate::SessionFairing`] is attached.
    MissingFairing,
}

impl SessionError {
    /// The HTTP status: 503 when the store is down or slow, 500 otherwise. (A conflict only
    /// arises when the fairing saves, which uses the configured conflict status.)
    pub fn status(&self) -> u16 {
        match self {
            Self::Session(e) => e.status(409),
            Self::MissingFairing => 500,
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
            Self::MissingFairing => {
                f.write_str("the Session guard needs SessionFairing attached to the Rocket")
            }
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Session(e) => Some(e),
            Self::MissingFairing => None,
        }
    }
}

impl<'r> Responder<'r, 'static> for SessionError {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        tracing::error!(error = %self, "session error");
        Err(Status::new(self.status()))
    }
}
