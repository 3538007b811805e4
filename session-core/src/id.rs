//! Session identifiers.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::inline_str::InlineStr;

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
#[derive(Clone)]
pub struct SessionId {
    text: InlineStr<INLINE>,
    /// The raw bytes, for an id shaped like a generated one: known when generated, decoded
    /// once when parsed, so that a store keeping ids compactly never decodes one per call.
    raw: Option<[u8; ID_BYTES]>,
}

/// A generated id's length: such ids, and any other as short, are held inline, so reading,
/// cloning and dropping one costs no allocation (a request copies its id a few times).
const INLINE: usize = 32;
const _: () = assert!(ID_BYTES.is_multiple_of(3) && ID_BYTES / 3 * 4 == INLINE);

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
    ///
    /// Read from the OS for each id (one `getrandom` system call, ~250 ns): nothing is
    /// buffered in the process, so no copy of a future id can outlive a fork or a thread.
    pub fn generate() -> Result<Self, RandomnessUnavailable> {
        let mut bytes = [0u8; ID_BYTES];
        getrandom::fill(&mut bytes).map_err(|_| RandomnessUnavailable)?;
        let mut text = [0u8; INLINE];
        // 24 bytes are exactly 32 base64 characters, so the fallback (which keeps this free
        // of `unwrap`) is never taken.
        let encoded = URL_SAFE_NO_PAD.encode_slice(bytes, &mut text).ok();
        let text = match encoded.and_then(|len| std::str::from_utf8(&text[..len]).ok()) {
            Some(text) => InlineStr::of(text),
            None => InlineStr::of(&URL_SAFE_NO_PAD.encode(bytes)),
        };
        Ok(Self {
            text,
            raw: Some(bytes),
        })
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
        (!text.is_empty()).then(|| Self {
            text: InlineStr::of(text),
            raw: decode_raw(text),
        })
    }

    /// The raw bytes of an id shaped like a generated one (32 URL-safe base64 characters,
    /// which are exactly [`ID_BYTES`] bytes), for stores that keep ids compactly; `None` for
    /// any other id.
    ///
    /// ```
    /// # use session_core::SessionId;
    /// let id = SessionId::generate().unwrap();
    /// assert_eq!(id.to_bytes().unwrap().len(), session_core::ID_BYTES);
    /// assert!(SessionId::parse("abc").unwrap().to_bytes().is_none());
    /// ```
    pub fn to_bytes(&self) -> Option<[u8; ID_BYTES]> {
        self.raw
    }

    /// The id as text. Printing it in logs lets whoever reads the logs take over the session.
    pub fn as_str(&self) -> &str {
        self.text.as_str()
    }
}

/// The raw bytes of an id written the way generated ones are (canonical, unpadded
/// base64url of [`ID_BYTES`] bytes).
fn decode_raw(text: &str) -> Option<[u8; ID_BYTES]> {
    // 32 characters that decode are 24 bytes (whole groups, so no spare bits), and the
    // engine refuses padding.
    let mut raw = [0u8; ID_BYTES];
    (text.len() == INLINE && URL_SAFE_NO_PAD.decode_slice(text, &mut raw).is_ok()).then_some(raw)
}

impl PartialEq for SessionId {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SessionId {}

impl Hash for SessionId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for SessionId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SessionId {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
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
    fn parsed_ids_know_the_raw_bytes_generated_ones_were_made_from() {
        let generated = SessionId::generate().unwrap();
        let parsed = SessionId::parse(generated.as_str()).unwrap();
        assert_eq!(parsed.to_bytes(), generated.to_bytes());
        assert_eq!(
            generated
                .to_bytes()
                .map(|raw| URL_SAFE_NO_PAD.encode(raw))
                .as_deref(),
            Some(generated.as_str())
        );
        // Other ids: a character outside base64url, or another length.
        assert!(SessionId::parse(&format!("{}+", &"A".repeat(31)))
            .unwrap()
            .to_bytes()
            .is_none());
        assert!(SessionId::parse(&"A".repeat(33))
            .unwrap()
            .to_bytes()
            .is_none());
    }

    #[test]
    fn short_and_long_ids_compare_by_their_text() {
        let long = "a".repeat(INLINE + 1);
        let long = SessionId::parse(&long).unwrap();
        let short = SessionId::parse("b").unwrap();
        assert_eq!(long.as_str().len(), INLINE + 1);
        assert!(long < short);
        assert_eq!(long.clone(), long);
        assert_eq!(SessionId::parse("b"), Some(short));
    }

    #[test]
    fn ids_stay_distinct_across_threads() {
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
