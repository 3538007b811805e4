use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{Claims, Opened, StatelessKeys, TokenFormat};
use crate::id::SessionId;
use crate::record::{CodecError, SessionState};
use crate::signing::macs_equal;

/// Claims this format writes itself; session data may not use these names.
const RESERVED: [&str; 6] = ["jti", "iat", "nbf", "exp", "ctm", "mxa"];

/// Stateless sessions as HS256 compact JWTs, verifiable by any standard JWT library with the
/// same secret.
///
/// - Header: `{"alg":"HS256","typ":"JWT","kid":<key id>}`. The key id is the first 8 hex digits
///   of SHA-256 of the secret, so tokens name the secret that signed them across rotations.
/// - Claims: the session's data at the top level (so `sub` is simply the data key `sub`),
///   plus `jti` (session id), `iat`, `nbf` (= `iat`), `exp`, `ctm` (creation, for the absolute
///   timeout) and `mxa` (a per-session max-age in seconds, when set). Times are whole seconds.
/// - Verification accepts only `alg: HS256` (never `none`, never another algorithm), needs a
///   valid signature by the key the `kid` names (or, without a `kid`, by any key), `exp` in the
///   future and `nbf` in the past, both with the configured leeway for clock skew.
///
/// ```
/// use session_core::{Claims, JwtFormat, SessionId, SessionState, StatelessKeys, TokenFormat};
/// use time::macros::datetime;
/// let format = JwtFormat::new(StatelessKeys::new(["0123456789abcdef0123456789abcdef"]).unwrap());
/// let now = datetime!(2030-01-01 0:00 UTC);
/// let mut data = serde_json::Map::new();
/// data.insert("sub".into(), "user-42".into());
/// let claims = Claims {
///     id: SessionId::parse("abc").unwrap(),
///     state: SessionState { data, created_at: now, max_age: None },
///     expires_at: now + time::Duration::HOUR,
///     issued_at: now,
/// };
/// let token = format.issue(&claims, "id").unwrap();
/// assert_eq!(token.matches('.').count(), 2);
/// assert_eq!(format.open(&token, "id", now).unwrap().claims, claims);
/// ```
#[derive(Debug, Clone)]
pub struct JwtFormat {
    keys: Vec<(String, Hmac<Sha256>)>,
    leeway: Duration,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

impl JwtFormat {
    /// A format signing with `keys` and a leeway of 60 seconds.
    pub fn new(keys: StatelessKeys) -> Self {
        let keys = keys
            .iter()
            .map(|secret| {
                let kid: String = Sha256::digest(secret)[..4]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(secret) {
                    Ok(mac) => mac,
                    Err(_) => unreachable!("HMAC takes keys of any length"),
                };
                (kid, mac)
            })
            .collect();
        Self {
            keys,
            leeway: Duration::from_secs(60),
        }
    }

    /// Tolerance for clock skew when checking `exp` and `nbf`.
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The key id of the secret that issues tokens.
    pub fn current_kid(&self) -> &str {
        &self.keys[0].0
    }

    fn sign(key: &Hmac<Sha256>, signing_input: &str) -> [u8; 32] {
        let mut mac = key.clone();
        mac.update(signing_input.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl TokenFormat for JwtFormat {
    fn issue(&self, claims: &Claims, _cookie_name: &str) -> Result<String, CodecError> {
        let (kid, key) = &self.keys[0];
        let mut body: Map<String, Value> = Map::new();
        for (k, v) in &claims.state.data {
            if RESERVED.contains(&k.as_str()) {
                return Err(CodecError::new(format!(
                    "session key {k:?} is a claim the JWT format writes itself; rename it"
                )));
            }
            body.insert(k.clone(), v.clone());
        }
        let iat = claims.issued_at.unix_timestamp();
        body.insert("jti".into(), claims.id.as_str().into());
        body.insert("iat".into(), iat.into());
        body.insert("nbf".into(), iat.into());
        body.insert("exp".into(), claims.expires_at.unix_timestamp().into());
        body.insert(
            "ctm".into(),
            claims.state.created_at.unix_timestamp().into(),
        );
        if let Some(max_age) = claims.state.max_age {
            body.insert("mxa".into(), max_age.as_secs().into());
        }
        let header = serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": kid});
        let mut token = String::new();
        URL_SAFE_NO_PAD.encode_string(header.to_string(), &mut token);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(
            serde_json::to_vec(&body).map_err(CodecError::new)?,
            &mut token,
        );
        let signature = Self::sign(key, &token);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }

    fn open(&self, token: &str, _cookie_name: &str, now: OffsetDateTime) -> Option<Opened> {
        let (signing_input, signature_b64) = token.rsplit_once('.')?;
        let (header_b64, claims_b64) = signing_input.split_once('.')?;
        let header: Header =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header_b64).ok()?).ok()?;
        if header.alg != "HS256" {
            return None; // never `none`, never an algorithm we did not configure
        }
        let mut signature = [0u8; 33];
        if URL_SAFE_NO_PAD
            .decode_slice(signature_b64, &mut signature)
            .ok()?
            != 32
        {
            return None;
        }
        let key_index = self.keys.iter().position(|(kid, key)| {
            header.kid.as_deref().is_none_or(|wanted| wanted == kid)
                && macs_equal(&Self::sign(key, signing_input), &signature[..32])
        })?;
        let mut body: Map<String, Value> =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims_b64).ok()?).ok()?;
        let leeway = i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX);
        let now_s = now.unix_timestamp();
        let exp = body.remove("exp")?.as_i64()?;
        let nbf = body.remove("nbf").map_or(Some(i64::MIN), |v| v.as_i64())?;
        if exp.saturating_add(leeway) <= now_s || nbf.saturating_sub(leeway) > now_s {
            return None;
        }
        let iat = body.remove("iat").map_or(Some(now_s), |v| v.as_i64())?;
        let id = SessionId::parse(body.remove("jti")?.as_str()?)?;
        let created = body.remove("ctm").map_or(Some(iat), |v| v.as_i64())?;
        let max_age = match body.remove("mxa") {
            Some(v) => Some(Duration::from_secs(v.as_u64()?)),
            None => None,
        };
        let at = |secs: i64| OffsetDateTime::from_unix_timestamp(secs).ok();
        Some(Opened {
            claims: Claims {
                id,
                state: SessionState {
                    data: body,
                    created_at: at(created)?,
                    max_age,
                },
                expires_at: at(exp)?,
                issued_at: at(iat)?,
            },
            key_index,
        })
    }
}
