//! Session identifiers.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

mod pool;

/// Number of random bytes in a generated id: 192 bits, like express-session's `uid(24)`.
pub const ID_BYTES: usize = 24;

/// A session identifier.
///
/// Generated ids are 24 bytes from the operating system's CSPRNG, written as 32 base64url
/// characters (express-session's default). Ids read from a verified cookie may be any
/// non-empty text, because other servers (express with a custom `genid`) may have made them.
///
/// `Debug` is redacted so that ids never end up in logs by accident; use [`SessionId::as_str`]
/// when you really mean to print one.
///
/// ```
/// use session_core::SessionId;
/// let id = SessionId::generate().expect("the OS has a CSPRNG");
/// assert_eq!(id.as_str().len(), 32);
/// assert_eq!(format!("{id:?}"), "SessionId(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(Box<str>);

/// The operating system could not produce random bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandomnessUnavailable;

impl fmt::Display for RandomnessUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the operating system's random number generator is unavailable")
    }
}

impl std::error::Error for RandomnessUnavailable {}

impl SessionId {
    /// A fresh id: 24 bytes from the OS CSPRNG as 32 URL-safe characters.
    pub fn generate() -> Result<Self, RandomnessUnavailable> {
        let bytes = pool::take()?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes).into_boxed_str()))
    }

    /// Wraps an existing id (read from a store, or made by another implementation).
    /// Returns `None` for the empty string, which express-session treats as "no session".
    ///
    /// ```
    /// # use session_core::SessionId;
    /// assert!(SessionId::parse("").is_none());
    /// assert_eq!(SessionId::parse("abc").unwrap().as_str(), "abc");
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        (!text.is_empty()).then(|| Self(text.into()))
    }

    /// The id as text. Printing it in logs lets whoever reads the logs take over the session.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_url_safe_and_distinct() {
        let a = SessionId::generate().unwrap();
        let b = SessionId::generate().unwrap();
        assert_ne!(a, b);
        assert!(a
            .as_str()
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }

    #[test]
    fn ids_stay_distinct_across_refills_and_threads() {
        let batch = || {
            (0..100)
                .map(|_| SessionId::generate().unwrap())
                .collect::<Vec<_>>()
        };
        let other = std::thread::spawn(batch);
        let mut all = batch();
        all.extend(other.join().unwrap());
        let distinct: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), 200);
    }
}
