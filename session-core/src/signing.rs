//! express-compatible signatures: `s:<id>.<base64(HMAC-SHA256(secret, id))>`.
//!
//! This is the format of Node's `cookie-signature`, which express-session uses. The MAC covers
//! the id only (not the cookie name); see the crate docs for the trade-off.

use std::fmt;

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::encoding::encode_uri_component_into;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 keyed with `key`, for every MAC the crate makes (cookie signatures, stateless
/// tokens, key derivation).
pub(crate) fn hmac_sha256(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length (longer ones are hashed first), so this cannot fail.
    match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

/// Length of an unpadded standard-base64 HMAC-SHA256.
const MAC_B64_LEN: usize = 43;

/// One signing secret. `Debug` is redacted.
#[derive(Clone)]
struct Key {
    // Keyed once: cloning a prepared HMAC skips hashing the key pads on every request.
    prepared: HmacSha256,
}

impl Key {
    fn new(secret: &[u8]) -> Self {
        Self {
            prepared: hmac_sha256(secret),
        }
    }

    fn mac(&self, message: &[u8]) -> [u8; 32] {
        let mut mac = self.prepared.clone();
        mac.update(message);
        mac.finalize().into_bytes().into()
    }
}

/// The secrets that sign and verify session ids: the first signs, every one verifies.
///
/// Rotating a secret: put the new one first and keep the old ones after it until every cookie
/// they signed has expired. A cookie verified by an old secret is reported
/// ([`Verified::key_index`] > 0) so that it can be re-signed with the current one.
///
/// `Keyring` takes secrets of any length, because it must verify cookies made by existing
/// deployments; [`crate::ConfigBuilder`] is where short secrets are refused.
///
/// ```
/// use session_core::Keyring;
/// let ring = Keyring::new(["keyboard cat"]).unwrap();
/// let value = ring.sign("ocxDLNaDwJzdRMHI3FV_WVi17yimGhMK");
/// assert_eq!(value, "s:ocxDLNaDwJzdRMHI3FV_WVi17yimGhMK.iTzFO5nE1xsPaoROGtGOvcgcCWHddac0TOv/xj1EeOE");
/// let verified = ring.unsign(&value).unwrap();
/// assert_eq!(verified.id, "ocxDLNaDwJzdRMHI3FV_WVi17yimGhMK");
/// assert_eq!(verified.key_index, 0);
/// ```
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<Key>,
}

/// A keyring needs at least one secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmptyKeyring;

impl fmt::Display for EmptyKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("at least one secret is needed to sign session ids")
    }
}

impl std::error::Error for EmptyKeyring {}

/// Why a signed value did not verify ([`Keyring::verify`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsigned {
    /// Not `s:<id>.<mac>` with a well-formed MAC and a non-empty id.
    Malformed,
    /// Well formed, but no secret of the keyring made its MAC: tampered with, or signed with
    /// a secret this keyring does not hold (the two cannot be told apart).
    BadSignature,
}

impl fmt::Display for Unsigned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "not a signed session id (s:<id>.<mac>)",
            Self::BadSignature => "the signature matches none of the secrets",
        })
    }
}

impl std::error::Error for Unsigned {}

/// A signed value that verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified<'a> {
    /// The id inside the signed value.
    pub id: &'a str,
    /// Which secret matched: 0 is the current one; anything else means "re-sign me".
    pub key_index: usize,
}

impl Keyring {
    /// Builds a keyring; the first secret signs.
    pub fn new<S: AsRef<[u8]>>(secrets: impl IntoIterator<Item = S>) -> Result<Self, EmptyKeyring> {
        let keys: Vec<Key> = secrets.into_iter().map(|s| Key::new(s.as_ref())).collect();
        if keys.is_empty() {
            return Err(EmptyKeyring);
        }
        Ok(Self { keys })
    }

    /// How many secrets verify.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Always false: a keyring holds at least one secret.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// `s:<id>.<mac>` signed with the first secret, not yet percent-encoded.
    pub fn sign(&self, id: &str) -> String {
        let mut out = String::with_capacity(2 + id.len() + 1 + MAC_B64_LEN);
        out.push_str("s:");
        out.push_str(id);
        out.push('.');
        out.push_str(mac_text(&self.mac_base64(id)));
        out
    }

    /// [`Keyring::sign`] as `encodeURIComponent` writes it into a cookie, appended to `out`
    /// without the intermediate string.
    pub(crate) fn sign_uri_encoded_into(&self, id: &str, out: &mut String) {
        out.reserve(4 + id.len() + 1 + MAC_B64_LEN + 12);
        out.push_str("s%3A");
        encode_uri_component_into(id, out);
        out.push('.');
        // Base64's `+` and `/` are the only characters of the MAC that need escaping.
        encode_uri_component_into(mac_text(&self.mac_base64(id)), out);
    }

    /// The first secret's MAC of `id`, in unpadded standard base64. The MAC is not secret
    /// (it is the cookie's), so the encoder's table look-ups reveal nothing.
    fn mac_base64(&self, id: &str) -> [u8; MAC_B64_LEN] {
        let mut text = [0u8; MAC_B64_LEN];
        // 32 bytes are exactly 43 characters, so the buffer always fits.
        if STANDARD_NO_PAD
            .encode_slice(self.keys[0].mac(id.as_bytes()), &mut text)
            .is_err()
        {
            unreachable!("43 characters hold 32 bytes");
        }
        text
    }

    /// Verifies a decoded cookie value (`s:<id>.<mac>`). Returns `None` unless the value starts
    /// with `s:`, the MAC after the last `.` is canonical unpadded standard base64 of 32 bytes,
    /// one of the secrets produced it (compared in constant time), and the id is not empty.
    pub fn unsign<'a>(&self, value: &'a str) -> Option<Verified<'a>> {
        self.verify(value).ok()
    }

    /// [`Keyring::unsign`], saying why a value does not verify.
    ///
    /// ```
    /// use session_core::{Keyring, Unsigned};
    /// let ring = Keyring::new(["keyboard cat"]).unwrap();
    /// assert_eq!(ring.verify("abc").unwrap_err(), Unsigned::Malformed);
    /// let forged = "s:ocxDLNaDwJzdRMHI3FV_WVi17yimGhMK.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    /// assert_eq!(ring.verify(forged).unwrap_err(), Unsigned::BadSignature);
    /// ```
    pub fn verify<'a>(&self, value: &'a str) -> Result<Verified<'a>, Unsigned> {
        let malformed = Unsigned::Malformed;
        let signed = value.strip_prefix("s:").ok_or(malformed)?;
        // memchr's search, not `rsplit_once`'s byte loop: the id is most of the value.
        let dot = memchr::memrchr(b'.', signed.as_bytes()).ok_or(malformed)?;
        let (id, mac_b64) = (&signed[..dot], &signed[dot + 1..]);
        // 43 characters that decode are 32 bytes; the engine refuses padding and non-zero
        // spare bits, so only the canonical text of a MAC gets this far.
        let mut provided = [0u8; 32];
        if mac_b64.len() != MAC_B64_LEN
            || STANDARD_NO_PAD
                .decode_slice(mac_b64, &mut provided)
                .is_err()
        {
            return Err(malformed);
        }
        // Check every key even after a match so that timing does not reveal which one matched.
        let mut found = None;
        for (index, key) in self.keys.iter().enumerate() {
            let ok = macs_equal(&key.mac(id.as_bytes()), &provided);
            if ok && found.is_none() {
                found = Some(index);
            }
        }
        let key_index = found.ok_or(Unsigned::BadSignature)?;
        // express-session treats an id of "" as "no session" even when its signature is good.
        if id.is_empty() {
            return Err(malformed);
        }
        Ok(Verified { id, key_index })
    }

    /// The key a purpose derives from the signing secret: HMAC-SHA256(secret, label), as
    /// [`crate::StatelessKeys`] derives its keys.
    pub(crate) fn derived(&self, label: &str) -> [u8; 32] {
        self.keys[0].mac(label.as_bytes())
    }
}

/// Whether two MACs are equal, in time that depends only on their lengths (which are not
/// secret). The bytes are compared eight at a time and the differences ORed, with one
/// constant-time check of the result: comparing byte by byte through `subtle` costs one
/// optimisation barrier per byte (0.3% of the server's samples on axum's `rw`, `perf`).
pub(crate) fn macs_equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |bytes: &[u8]| {
        let mut word = [0u8; 8];
        word[..bytes.len()].copy_from_slice(bytes);
        u64::from_le_bytes(word)
    };
    let diff = a
        .chunks(8)
        .zip(b.chunks(8))
        .fold(0u64, |diff, (x, y)| diff | (word(x) ^ word(y)));
    diff.ct_eq(&0).into()
}

/// A MAC's base64 as text.
fn mac_text(encoded: &[u8; MAC_B64_LEN]) -> &str {
    let Ok(text) = std::str::from_utf8(encoded) else {
        unreachable!("base64 characters are ASCII")
    };
    text
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keyring({} secrets, <redacted>)", self.keys.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_differing_in_any_byte_or_length_are_unequal() {
        let mac = [7u8; 32];
        assert!(macs_equal(&mac, &mac));
        for i in 0..32 {
            let mut other = mac;
            other[i] ^= 0x80;
            assert!(!macs_equal(&mac, &other), "byte {i}");
        }
        assert!(!macs_equal(&mac, &mac[..31]));
    }

    #[test]
    fn old_secret_verifies_and_is_reported() {
        let old = Keyring::new(["old"]).unwrap();
        let both = Keyring::new(["new", "old"]).unwrap();
        let value = old.sign("abc");
        assert_eq!(both.unsign(&value).unwrap().key_index, 1);
        assert!(Keyring::new(["new"]).unwrap().unsign(&value).is_none());
    }

    #[test]
    fn signing_into_a_cookie_is_signing_then_encoding() {
        let ring = Keyring::new(["keyboard cat"]).unwrap();
        for id in ["ocxDLNaDwJzdRMHI3FV_WVi17yimGhMK", "a b/é", "x"] {
            for n in 0..64 {
                let id = format!("{id}{n}");
                let mut expected = String::new();
                encode_uri_component_into(&ring.sign(&id), &mut expected);
                let mut direct = String::from("id=");
                ring.sign_uri_encoded_into(&id, &mut direct);
                assert_eq!(direct, format!("id={expected}"));
            }
        }
    }

    #[test]
    fn only_the_canonical_unpadded_mac_verifies() {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let ring = Keyring::new(["keyboard cat"]).unwrap();
        for n in 0..64 {
            let value = ring.sign(&format!("id{n}"));
            assert!(ring.unsign(&value).is_some());
            let (head, mac) = value.rsplit_once('.').unwrap();
            // The last character's two spare bits are zero; setting one decodes to the same
            // bytes, but is another text.
            let last = CHARS.iter().position(|&c| c == mac.as_bytes()[42]).unwrap();
            let spare = format!("{head}.{}{}", &mac[..42], char::from(CHARS[last | 1]));
            let url_safe = value.replace('+', "-").replace('/', "_");
            for other in [
                spare,
                format!("{value}="),
                format!("{value}A"),
                value[..value.len() - 1].to_owned(),
                format!("{head}.{mac} "),
            ] {
                assert!(ring.unsign(&other).is_none(), "{other}");
            }
            assert_eq!(ring.unsign(&url_safe).is_some(), url_safe == value);
        }
    }

    #[test]
    fn debug_is_redacted() {
        let ring = Keyring::new(["secret-value"]).unwrap();
        assert!(!format!("{ring:?}").contains("secret-value"));
    }
}
