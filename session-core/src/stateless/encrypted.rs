use aes_gcm::aead::{Aead, Payload as AeadPayload};
use aes_gcm::Aes256Gcm;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chacha20poly1305::XChaCha20Poly1305;
use hmac::KeyInit;
use time::OffsetDateTime;

use super::signed::Payload;
use super::{Claims, Opened, StatelessKeys, TokenFormat};
use crate::record::CodecError;

/// Tokens issued now: XChaCha20-Poly1305 with a 192-bit random nonce.
const PREFIX: &str = "e2.";
const NONCE: usize = 24;
const KEY_LABEL: &str = "session-core/stateless/xchacha20-poly1305/v2";
/// Tokens issued before: AES-256-GCM with a 96-bit random nonce. They still open.
const AES_PREFIX: &str = "e1.";
const AES_NONCE: usize = 12;
const AES_KEY_LABEL: &str = "session-core/stateless/aes-256-gcm/v1";
/// Both ciphers' tags are 16 bytes.
const TAG: usize = 16;

/// Encrypted stateless sessions: `e2.<base64url(nonce || XChaCha20-Poly1305(JSON))>`, with the
/// cookie name as associated data. The client can neither read nor change the data.
///
/// Each secret is turned into a key with HMAC-SHA256(secret, label), so the same secret can
/// also serve the cookie signer and the other formats without any two keys being equal.
/// Nonces are 192 random bits from the OS per token: so many that a nonce never repeats
/// however many tokens one secret encrypts, where AES-GCM's 96-bit random nonces allow a key
/// only about 2^32 messages. Tokens of the earlier `e1.` format (AES-256-GCM) still open, so
/// sessions survive the upgrade; they are re-issued in the new format whenever the session is next re-issued.
/// The data travels under a field of its own: every session key is accepted.
///
/// ```
/// use session_core::{Claims, EncryptedFormat, SessionId, SessionState, StatelessKeys, TokenFormat};
/// use time::macros::datetime;
/// let format = EncryptedFormat::new(StatelessKeys::new(["0123456789abcdef0123456789abcdef"]).unwrap());
/// let now = datetime!(2030-01-01 0:00 UTC);
/// let mut data = serde_json::Map::new();
/// data.insert("user".into(), "ann".into());
/// let claims = Claims {
///     id: SessionId::parse("abc").unwrap(),
///     state: SessionState { data, created_at: now, max_age: None },
///     expires_at: now + time::Duration::HOUR,
///     issued_at: now,
/// };
/// let token = format.issue(&claims, "id").unwrap();
/// assert!(token.starts_with("e2.") && !token.contains("ann"));
/// assert_eq!(format.open(&token, "id", now).unwrap().claims, claims);
/// ```
#[derive(Clone)]
pub struct EncryptedFormat {
    ciphers: Vec<XChaCha20Poly1305>,
    /// The same secrets' keys for `e1.` tokens, which are only opened.
    aes: Vec<Aes256Gcm>,
}

impl std::fmt::Debug for EncryptedFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "EncryptedFormat({} keys, <redacted>)",
            self.ciphers.len()
        )
    }
}

impl EncryptedFormat {
    /// A format encrypting with `keys`.
    pub fn new(keys: StatelessKeys) -> Self {
        Self {
            ciphers: keys
                .derived(KEY_LABEL)
                .map(|key| XChaCha20Poly1305::new(&key.into()))
                .collect(),
            aes: keys
                .derived(AES_KEY_LABEL)
                .map(|key| Aes256Gcm::new(&key.into()))
                .collect(),
        }
    }
}

/// The first of `ciphers` that opens `sealed` under `nonce` with the cookie name as associated
/// data, and what it opened to.
fn decrypt_any<C: Aead>(
    ciphers: &[C],
    nonce: &[u8],
    sealed: &[u8],
    cookie_name: &str,
) -> Option<(usize, Vec<u8>)> {
    let nonce = aes_gcm::aead::Nonce::<C>::try_from(nonce).ok()?;
    ciphers.iter().enumerate().find_map(|(i, cipher)| {
        let payload = AeadPayload {
            msg: sealed,
            aad: cookie_name.as_bytes(),
        };
        cipher.decrypt(&nonce, payload).ok().map(|json| (i, json))
    })
}

impl TokenFormat for EncryptedFormat {
    fn issue(&self, claims: &Claims, cookie_name: &str) -> Result<String, CodecError> {
        let json = serde_json::to_vec(&Payload::from_claims(claims)).map_err(CodecError::new)?;
        let mut nonce = [0u8; NONCE];
        getrandom::fill(&mut nonce).map_err(|_| CodecError::new(crate::RandomnessUnavailable))?;
        let sealed = self.ciphers[0]
            .encrypt(
                &nonce.into(),
                AeadPayload {
                    msg: &json,
                    aad: cookie_name.as_bytes(),
                },
            )
            .map_err(|_| CodecError::new("XChaCha20-Poly1305 refused to encrypt"))?;
        let mut bytes = Vec::with_capacity(NONCE + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        let mut token = String::from(PREFIX);
        URL_SAFE_NO_PAD.encode_string(bytes, &mut token);
        Ok(token)
    }

    fn open(&self, token: &str, cookie_name: &str, now: OffsetDateTime) -> Option<Opened> {
        let (nonce_len, sealed_b64) = match token.strip_prefix(PREFIX) {
            Some(rest) => (NONCE, rest),
            None => (AES_NONCE, token.strip_prefix(AES_PREFIX)?),
        };
        let bytes = URL_SAFE_NO_PAD.decode(sealed_b64).ok()?;
        if bytes.len() < nonce_len + TAG {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(nonce_len);
        let (key_index, json) = if nonce_len == NONCE {
            decrypt_any(&self.ciphers, nonce, sealed, cookie_name)?
        } else {
            decrypt_any(&self.aes, nonce, sealed, cookie_name)?
        };
        let payload: Payload = serde_json::from_slice(&json).ok()?;
        Some(Opened {
            claims: payload.into_claims(now)?,
            key_index,
        })
    }
}
