//! The error a handler or an adapter sees.

use std::fmt;

use crate::id::RandomnessUnavailable;
use crate::record::CodecError;
use crate::stateless::RefusedKey;
use crate::store::StoreError;

/// Why a session operation failed. [`SessionError::status`] says which HTTP status an adapter
/// answers with.
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionError {
    /// The store failed.
    Store(StoreError),
    /// A concurrent request changed what this one read or wrote; nothing was saved.
    Conflict,
    /// A value could not be (de)serialised, or the session could not be encoded.
    Codec(CodecError),
    /// No random bytes for a new id.
    Random(RandomnessUnavailable),
    /// The encoded session is larger than the configured limit; nothing was saved.
    TooLarge {
        /// Encoded size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// [`crate::Session::insert`] was given a key the stateless token format cannot carry
    /// (a JWT's `exp`, or a `sub` that is not a string): a mistake in the handler's code,
    /// returned by that `insert` call before anything is written, never by
    /// [`crate::SessionManager::finish`]. The message names the key.
    RefusedKey(RefusedKey),
    /// A change made through the session after the request's response was finished (from a
    /// task the handler spawned, say): it could no longer be saved, so nothing was changed.
    /// Save from such a task through a session of its own request, or end sessions with
    /// [`crate::SessionManager::revoke`].
    Finished,
}

impl SessionError {
    /// The HTTP status for this error: 503 when the store is down or slow, the configured
    /// conflict status (409 by default) for a conflict, 500 otherwise.
    ///
    /// [`SessionError::RefusedKey`] is 500 too: the key is chosen by the handler's code, not
    /// by the client, so no 4xx fits. It comes from the `insert` call that caused it, so the
    /// handler sees it (with the key in its message) and it is never what makes `finish`
    /// fail after the handler has answered.
    ///
    /// ```
    /// use session_core::stateless::RefusedKey;
    /// use session_core::{SessionError, StoreError, StoreErrorKind};
    /// let down = SessionError::Store(StoreError::from_kind(StoreErrorKind::Unavailable));
    /// assert_eq!(down.status(409), 503);
    /// assert_eq!(SessionError::Conflict.status(409), 409);
    /// let refused = SessionError::RefusedKey(RefusedKey::Reserved { key: "exp".into() });
    /// assert_eq!(refused.status(409), 500);
    /// assert!(refused.to_string().contains("\"exp\""));
    /// ```
    pub fn status(&self, conflict_status: u16) -> u16 {
        match self {
            Self::Store(e) if e.is_unavailable() => 503,
            Self::Conflict => conflict_status,
            _ => 500,
        }
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Store(e) => e.fmt(f),
            Self::Conflict => f.write_str(
                "the session was changed by a concurrent request; this request's changes were not saved",
            ),
            Self::Codec(e) => e.fmt(f),
            Self::Random(e) => e.fmt(f),
            Self::Finished => f.write_str(
                "the session was changed after its request finished; the change cannot be saved \
                 and was not made",
            ),
            Self::TooLarge { size, limit } => write!(
                f,
                "the session encodes to {size} bytes, over the {limit}-byte limit; nothing was saved"
            ),
            Self::RefusedKey(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Store(e) => Some(e),
            Self::Codec(e) => Some(e),
            Self::Random(e) => Some(e),
            Self::RefusedKey(e) => Some(e),
            Self::Conflict | Self::TooLarge { .. } | Self::Finished => None,
        }
    }
}

impl From<StoreError> for SessionError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<CodecError> for SessionError {
    fn from(e: CodecError) -> Self {
        Self::Codec(e)
    }
}

impl From<RandomnessUnavailable> for SessionError {
    fn from(e: RandomnessUnavailable) -> Self {
        Self::Random(e)
    }
}

impl From<RefusedKey> for SessionError {
    fn from(e: RefusedKey) -> Self {
        Self::RefusedKey(e)
    }
}
