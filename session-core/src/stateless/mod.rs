//! Stateless sessions: the whole session travels with the client, nothing is stored.
//!
//! Three formats implement [`TokenFormat`]:
//! - [`SignedFormat`]: HMAC-SHA256, tamper-evident but readable by the client;
//! - [`EncryptedFormat`]: XChaCha20-Poly1305, neither readable nor changeable by the client;
//! - [`JwtFormat`]: HS256 compact JWTs that any standard JWT library verifies.
//!
//! Each takes a list of secrets (the first issues, all verify) so that secrets rotate the way
//! signing secrets do, and derives its own key from each secret (see [`StatelessKeys`]). The
//! token's size is checked against the configured cookie limit when it is issued: an
//! oversized session is [`crate::SessionError::TooLarge`], never a truncated cookie.
//!
//! A format may refuse some session keys ([`TokenFormat::check_key`]): a JWT carries the
//! session's data as its claims, so the claims it writes itself are not session keys, and
//! registered claims must have their standard types. [`crate::Session::insert`] asks the
//! format, and a refused key is [`crate::SessionError::RefusedKey`] at the `insert` call.
//!
//! A stateless session cannot be revoked on its own: whoever holds a copy of the token can use
//! it until it expires. [`crate::SessionManager::stateless_with_revocations`] keeps a list of
//! revoked session ids in a store (one small record per destroyed session, until its token
//! would have expired) and checks it on every load, at the cost of one store call.

mod encrypted;
mod jwt;
pub(crate) mod keys;
mod signed;

use time::OffsetDateTime;

pub use encrypted::EncryptedFormat;
pub use jwt::JwtFormat;
pub use keys::StatelessKeys;
pub use signed::SignedFormat;

use std::fmt;

use serde_json::Value;

use crate::id::SessionId;
use crate::record::{CodecError, SessionState};

/// Everything a stateless token carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// The session's id (`jti` in a JWT): what a revocation list names.
    pub id: SessionId,
    /// The session's data and metadata.
    pub state: SessionState,
    /// When the token stops being accepted.
    pub expires_at: OffsetDateTime,
    /// When the token was issued.
    pub issued_at: OffsetDateTime,
}

/// A token that verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    /// What it carried.
    pub claims: Claims,
    /// Which secret verified it: anything but 0 means "re-issue me with the current one".
    pub key_index: usize,
}

/// A way of carrying a whole session in a cookie or header value.
pub trait TokenFormat: Send + Sync + 'static {
    /// Encodes `claims` into a token made of cookie-safe characters. `cookie_name` may be
    /// bound into the token so that it cannot be replayed under another name.
    fn issue(&self, claims: &Claims, cookie_name: &str) -> Result<String, CodecError>;
    /// Verifies and decodes a token; `None` for anything forged, malformed or expired at `now`.
    fn open(&self, token: &str, cookie_name: &str, now: OffsetDateTime) -> Option<Opened>;

    /// How long after its expiry [`TokenFormat::open`] still accepts a token (tolerance for
    /// clock skew). A revocation must outlast a token's expiry by this much. Zero unless the
    /// format says otherwise ([`JwtFormat`] has 60 seconds unless configured).
    fn leeway(&self) -> time::Duration {
        time::Duration::ZERO
    }

    /// Whether the session may hold `value` under `key`: [`Session::insert`] asks before it
    /// writes, so that a key the format cannot carry fails at the call that wrote it rather
    /// than when the token is issued. Every key is accepted unless the format says otherwise.
    ///
    /// ```
    /// use session_core::stateless::RefusedKey;
    /// use session_core::{JwtFormat, SignedFormat, StatelessKeys, TokenFormat};
    /// let keys = StatelessKeys::new(["0123456789abcdef0123456789abcdef"]).unwrap();
    /// let jwt = JwtFormat::new(keys.clone());
    /// assert!(jwt.check_key("sub", &"user-42".into()).is_ok());
    /// assert!(matches!(jwt.check_key("sub", &42.into()), Err(RefusedKey::WrongType { .. })));
    /// assert!(matches!(jwt.check_key("exp", &0.into()), Err(RefusedKey::Reserved { .. })));
    /// // The signed format keeps the data under a field of its own: nothing is reserved.
    /// assert!(SignedFormat::new(keys).check_key("exp", &0.into()).is_ok());
    /// ```
    ///
    /// [`Session::insert`]: crate::Session::insert
    fn check_key(&self, key: &str, value: &Value) -> Result<(), RefusedKey> {
        let _ = (key, value);
        Ok(())
    }
}

/// Why a token format refuses a session key (see [`TokenFormat::check_key`]). A handler's
/// mistake, not the client's: the key names are the application's own.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefusedKey {
    /// The format sets or checks the claim of this name itself (a JWT's `exp`, for
    /// instance).
    Reserved {
        /// The refused key.
        key: String,
    },
    /// The name is a registered claim and the value does not have its type (a JWT's `sub`
    /// must be a string).
    WrongType {
        /// The refused key.
        key: String,
        /// The JSON type the claim must have.
        expected: &'static str,
    },
}

impl RefusedKey {
    /// The refused key.
    ///
    /// ```
    /// use session_core::stateless::RefusedKey;
    /// assert_eq!(RefusedKey::Reserved { key: "exp".into() }.key(), "exp");
    /// ```
    pub fn key(&self) -> &str {
        match self {
            Self::Reserved { key } | Self::WrongType { key, .. } => key,
        }
    }
}

impl fmt::Display for RefusedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reserved { key } => write!(
                f,
                "session key {key:?} is reserved by the token format, which sets or checks that claim itself; rename it"
            ),
            Self::WrongType { key, expected } => write!(
                f,
                "session key {key:?} is a registered claim and must be {expected}"
            ),
        }
    }
}

impl std::error::Error for RefusedKey {}

impl From<RefusedKey> for CodecError {
    fn from(e: RefusedKey) -> Self {
        CodecError::new(e)
    }
}

#[cfg(test)]
mod tests;
