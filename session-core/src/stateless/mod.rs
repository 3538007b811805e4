//! Stateless sessions: the whole session travels with the client, nothing is stored.
//!
//! Three formats implement [`TokenFormat`]:
//! - [`SignedFormat`]: HMAC-SHA256, tamper-evident but readable by the client;
//! - [`EncryptedFormat`]: AES-256-GCM, neither readable nor changeable by the client;
//! - [`JwtFormat`]: HS256 compact JWTs that any standard JWT library verifies.
//!
//! Each takes a list of secrets (the first issues, all verify) so that secrets rotate the way
//! signing secrets do. The token's size is checked against the configured cookie limit when it
//! is issued: an oversized session is [`crate::SessionError::TooLarge`], never a truncated
//! cookie.
//!
//! A stateless session cannot be revoked on its own: whoever holds a copy of the token can use
//! it until it expires. [`crate::SessionManager::stateless_with_revocations`] keeps a list of
//! revoked session ids in a store (one small record per destroyed session, until its token
//! would have expired) and checks it on every load, at the cost of one store call.

mod encrypted;
mod jwt;
mod keys;
mod signed;

use time::OffsetDateTime;

pub use encrypted::EncryptedFormat;
pub use jwt::JwtFormat;
pub use keys::StatelessKeys;
pub use signed::SignedFormat;

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
}

#[cfg(test)]
mod tests;
