use aes_gcm::aead::{Aead, Payload as AeadPayload};
use aes_gcm::Aes256Gcm;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

use super::signed::Payload;
use super::{Claims, Opened, StatelessKeys, TokenFormat};
use crate::record::CodecError;

const PREFIX: &str = "e1.";
const NONCE: usize = 12;

/// Encrypted stateless sessions: `e1.<base64url(nonce || AES-256-GCM(JSON))>`, with the cookie
/// name as associated data. The client can neither read nor change the data.
///
/// Each secret is turned into an AES-256 key with HMAC-SHA256 (a key-derivation step, so the
/// same secret can also serve the signed format without the two keys being equal). Nonces are
/// 96 random bits from the OS per token.
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
/// assert!(!token.contains("ann"));
/// assert_eq!(format.open(&token, "id", now).unwrap().claims, claims);
/// ```
#[derive(Clone)]
pub struct EncryptedFormat {
    ciphers: Vec<Aes256Gcm>,
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
        let ciphers = keys
            .iter()
            .map(|secret| {
                let mut kdf = match <Hmac<Sha256> as KeyInit>::new_from_slice(secret) {
                    Ok(mac) => mac,
                    Err(_) => unreachable!("HMAC takes keys of any length"),
                };
                kdf.update(b"session-core/stateless/aes-256-gcm/v1");
                let key: [u8; 32] = kdf.finalize().into_bytes().into();
                Aes256Gcm::new(&key.into())
            })
            .collect();
        Self { ciphers }
    }
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
            .map_err(|_| CodecError::new("AES-GCM refused to encrypt"))?;
        let mut bytes = Vec::with_capacity(NONCE + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        let mut token = String::from(PREFIX);
        URL_SAFE_NO_PAD.encode_string(bytes, &mut token);
        Ok(token)
    }

    fn open(&self, token: &str, cookie_name: &str, now: OffsetDateTime) -> Option<Opened> {
        let bytes = URL_SAFE_NO_PAD.decode(token.strip_prefix(PREFIX)?).ok()?;
        if bytes.len() < NONCE + 16 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE);
        let nonce: [u8; NONCE] = nonce.try_into().ok()?;
        let (key_index, json) = self.ciphers.iter().enumerate().find_map(|(i, cipher)| {
            let payload = AeadPayload {
                msg: sealed,
                aad: cookie_name.as_bytes(),
            };
            cipher
                .decrypt(&nonce.into(), payload)
                .ok()
                .map(|json| (i, json))
        })?;
        let payload: Payload = serde_json::from_slice(&json).ok()?;
        Some(Opened {
            claims: payload.into_claims(now)?,
            key_index,
        })
    }
}
