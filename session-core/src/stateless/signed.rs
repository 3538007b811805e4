use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;
use time::OffsetDateTime;

use super::{Claims, Opened, StatelessKeys, TokenFormat};
use crate::id::SessionId;
use crate::record::{from_unix_millis, unix_millis, CodecError, SessionState};
use crate::signing::{hmac_sha256, macs_equal};

const PREFIX: &str = "v1.";
/// What each secret is keyed with to give its MAC key.
const KEY_LABEL: &str = "session-core/signed/v1";

/// Signed stateless sessions: `v1.<base64url(JSON)>.<base64url(HMAC-SHA256)>`, the MAC
/// covering the cookie name too. The client can read the data but not change it.
///
/// The MAC key is HMAC-SHA256(secret, `"session-core/signed/v1"`), not the secret itself, so
/// that no other credential made with the same secret verifies as a signed token, nor one as
/// another. The data travels under a field of its own: every session key is accepted.
///
/// ```
/// use session_core::{Claims, SessionId, SessionState, SignedFormat, StatelessKeys, TokenFormat};
/// use time::macros::datetime;
/// let format = SignedFormat::new(StatelessKeys::new(["0123456789abcdef0123456789abcdef"]).unwrap());
/// let now = datetime!(2030-01-01 0:00 UTC);
/// let claims = Claims {
///     id: SessionId::parse("abc").unwrap(),
///     state: SessionState { data: Default::default(), created_at: now, max_age: None },
///     expires_at: now + time::Duration::HOUR,
///     issued_at: now,
/// };
/// let token = format.issue(&claims, "id").unwrap();
/// assert_eq!(format.open(&token, "id", now).unwrap().claims, claims);
/// assert!(format.open(&token, "other", now).is_none());
/// ```
#[derive(Debug, Clone)]
pub struct SignedFormat {
    keys: Vec<Hmac<Sha256>>,
}

/// The payload shared by the signed and encrypted formats.
#[derive(Serialize, Deserialize)]
pub(super) struct Payload {
    j: String,
    d: Map<String, Value>,
    c: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    m: Option<u64>,
    e: i64,
    i: i64,
}

impl Payload {
    pub(super) fn from_claims(claims: &Claims) -> Self {
        Self {
            j: claims.id.as_str().to_owned(),
            d: claims.state.data.clone(),
            c: unix_millis(claims.state.created_at),
            m: claims.state.max_age.map(crate::record::duration_millis),
            e: unix_millis(claims.expires_at),
            i: unix_millis(claims.issued_at),
        }
    }

    /// The claims, if the payload has not expired at `now`.
    pub(super) fn into_claims(self, now: OffsetDateTime) -> Option<Claims> {
        let expires_at = from_unix_millis(self.e);
        (expires_at > now).then_some(())?;
        Some(Claims {
            id: SessionId::parse(&self.j)?,
            state: SessionState {
                data: self.d,
                created_at: from_unix_millis(self.c),
                max_age: self.m.map(std::time::Duration::from_millis),
            },
            expires_at,
            issued_at: from_unix_millis(self.i),
        })
    }
}

impl SignedFormat {
    /// A format signing with `keys`.
    pub fn new(keys: StatelessKeys) -> Self {
        let keys = keys.derived(KEY_LABEL).map(|k| hmac_sha256(&k)).collect();
        Self { keys }
    }

    fn mac(key: &Hmac<Sha256>, cookie_name: &str, body: &str) -> [u8; 32] {
        let mut mac = key.clone();
        mac.update(cookie_name.as_bytes());
        mac.update(b"\0");
        mac.update(body.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl TokenFormat for SignedFormat {
    fn issue(&self, claims: &Claims, cookie_name: &str) -> Result<String, CodecError> {
        let json = serde_json::to_vec(&Payload::from_claims(claims)).map_err(CodecError::new)?;
        let mut token = String::from(PREFIX);
        URL_SAFE_NO_PAD.encode_string(json, &mut token);
        let mac = Self::mac(&self.keys[0], cookie_name, &token);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(mac, &mut token);
        Ok(token)
    }

    fn open(&self, token: &str, cookie_name: &str, now: OffsetDateTime) -> Option<Opened> {
        let (body, mac_b64) = token.rsplit_once('.')?;
        let json_b64 = body.strip_prefix(PREFIX)?;
        let mut provided = [0u8; 33];
        if URL_SAFE_NO_PAD.decode_slice(mac_b64, &mut provided).ok()? != 32 {
            return None;
        }
        let key_index = self
            .keys
            .iter()
            .position(|key| macs_equal(&Self::mac(key, cookie_name, body), &provided[..32]))?;
        let json = URL_SAFE_NO_PAD.decode(json_b64).ok()?;
        let payload: Payload = serde_json::from_slice(&json).ok()?;
        Some(Opened {
            claims: payload.into_claims(now)?,
            key_index,
        })
    }
}
