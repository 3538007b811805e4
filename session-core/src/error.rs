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
    /// A value could not be serialised, or the session could not be encoded or decoded.
    Codec(CodecError),
    /// The value stored under a key is not of the type the handler asked for (written by
    /// an older shape of the type, say). Nothing was changed: the stored value stays.
    WrongType(WrongType),
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
    /// conflict status (409 by default) for a conflict, 400 for a stored value of another
    /// type than asked for (what the session holds does not fit this request), 500
    /// otherwise.
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
            Self::WrongType(_) => 400,
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
            Self::WrongType(e) => e.fmt(f),
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
            Self::WrongType(e) => Some(&e.error),
            Self::Random(e) => Some(e),
            Self::RefusedKey(e) => Some(e),
            Self::Conflict | Self::TooLarge { .. } | Self::Finished => None,
        }
    }
}

/// The value under [`WrongType::key`] did not deserialise as the type asked for.
///
/// ```
/// use session_core::{Config, HttpRequest, SessionError, SessionManager};
/// # struct NoStore;
/// # impl session_core::Store for NoStore {
/// #   async fn load(&self, _: &session_core::SessionId, _: time::OffsetDateTime) -> Result<Option<session_core::Record>, session_core::StoreError> { Ok(None) }
/// #   async fn create(&self, _: &session_core::SessionId, _: &session_core::Record) -> Result<(), session_core::StoreError> { Ok(()) }
/// #   async fn save(&self, _: &session_core::SessionId, _: &session_core::Record, _: u64) -> Result<(), session_core::StoreError> { Ok(()) }
/// #   async fn touch(&self, _: &session_core::SessionId, _: time::OffsetDateTime) -> Result<(), session_core::StoreError> { Ok(()) }
/// #   async fn delete(&self, _: &session_core::SessionId) -> Result<(), session_core::StoreError> { Ok(()) }
/// # }
/// # futures_util::FutureExt::now_or_never(async {
/// # let config = Config::builder().secret("0123456789abcdef0123456789abcdef").build().unwrap();
/// # let manager = SessionManager::new(config, NoStore);
/// # let headers = http::HeaderMap::new();
/// # let now = time::macros::datetime!(2030-01-01 0:00 UTC);
/// # let session = manager.begin(&HttpRequest { headers: &headers, peer: None, tls: false }, now);
/// session.insert("n", "seven").await.unwrap();
/// let Err(SessionError::WrongType(e)) = session.get::<u64>("n").await else { panic!() };
/// assert_eq!(e.key(), "n");
/// assert_eq!(SessionError::WrongType(e).status(409), 400);
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct WrongType {
    key: String,
    error: CodecError,
}

impl WrongType {
    pub(crate) fn new(key: &str, error: serde_json::Error) -> Self {
        Self {
            key: key.to_owned(),
            error: CodecError::new(error),
        }
    }

    /// The key whose value had another type.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for WrongType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the session's value under {:?} is not of the type asked for ({}); it was left as it is",
            self.key, self.error
        )
    }
}

impl std::error::Error for WrongType {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
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
