use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::keys::derive_key;
use super::{Claims, Opened, RefusedKey, StatelessKeys, TokenFormat};
use crate::id::SessionId;
use crate::record::{CodecError, SessionState};
use crate::signing::{hmac_sha256, macs_equal};

/// Claims this format writes itself; session data may not use these names.
const WRITTEN: [&str; 6] = ["jti", "iat", "nbf", "exp", "ctm", "mxa"];

/// Stateless sessions as HS256 compact JWTs, verifiable by any standard JWT library.
///
/// - Key: each secret's HS256 key is HMAC-SHA256(secret, [`JwtFormat::KEY_LABEL`]), never the
///   secret itself, so a JWT cannot pass for an express-style signed cookie
///   ([`crate::Keyring`]) or another format's token made with the same secret.
///   [`JwtFormat::verification_key`] computes it; in Python it is
///   `hmac.new(secret, b"session-core/jwt/v1", hashlib.sha256).digest()` (`secret` as bytes).
///   Whoever holds it can verify tokens, and also forge them: keep it as secret as the secret.
/// - Header: `{"alg":"HS256","typ":"JWT","kid":<key id>}`. The key id is the first 8 hex
///   digits of SHA-256 of the HS256 key, so tokens name the key that signed them across
///   rotations.
/// - Claims: the session's data at the top level (so `sub` is simply the data key `sub`),
///   plus `jti` (session id), `iat`, `nbf` (= `iat`), `exp`, `ctm` (creation, for the absolute
///   timeout), `mxa` (a per-session max-age in seconds, when set), and `iss` and `aud` when
///   [`JwtFormat::issuer`] and [`JwtFormat::audience`] configure them. Times are whole
///   seconds.
/// - Session keys ([`TokenFormat::check_key`]): the claims the format writes are refused, and
///   so is `aud` (a recipient must refuse a token whose audience does not name it, so the
///   audience is configured, not chosen per session); `sub`, and `iss` when no issuer is
///   configured, must be strings, as RFC 7519 has them.
/// - Verification accepts only a header that is a JSON object with `alg: HS256` (never
///   `none`, never another algorithm) and no `crit` (no extension is understood), a valid
///   signature by the key the `kid` names (or, without a `kid`, by any key), claims that are a
///   JSON object, `exp` in the future, `nbf` and `iat` not in the future, all with the
///   configured leeway for clock skew, `iss` equal to the configured issuer (any string when
///   none is configured), an `aud` naming the configured audience (no `aud` at all when none
///   is configured), and a string `sub`.
///
/// ```
/// use session_core::{Claims, JwtFormat, SessionId, SessionState, StatelessKeys, TokenFormat};
/// use time::macros::datetime;
/// let format = JwtFormat::new(StatelessKeys::new(["0123456789abcdef0123456789abcdef"]).unwrap())
///     .issuer("https://auth.example")
///     .audience("shop");
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
    issuer: Option<String>,
    audience: Option<String>,
}

impl JwtFormat {
    /// What each secret is keyed with to give its HS256 key (see
    /// [`JwtFormat::verification_key`]).
    pub const KEY_LABEL: &'static str = "session-core/jwt/v1";

    /// A format signing with `keys` and a leeway of 60 seconds.
    pub fn new(keys: StatelessKeys) -> Self {
        let keys = keys
            .derived(Self::KEY_LABEL)
            .map(|key| {
                let kid: String = Sha256::digest(key)[..4]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                (kid, hmac_sha256(&key))
            })
            .collect();
        Self {
            keys,
            leeway: Duration::from_secs(60),
            issuer: None,
            audience: None,
        }
    }

    /// The HS256 key that tokens issued with `secret` are signed with, for another service or
    /// JWT library that verifies them: HMAC-SHA256(`secret`, [`JwtFormat::KEY_LABEL`]). In
    /// Python: `hmac.new(secret, b"session-core/jwt/v1", hashlib.sha256).digest()`, with
    /// `secret` as bytes.
    ///
    /// The key verifies and signs JWTs, and nothing else: it does not give the secret, nor
    /// the keys of the cookie signer or the other formats. Keep it as secret as the secret.
    ///
    /// ```
    /// use session_core::{Claims, JwtFormat, SessionId, SessionState, StatelessKeys, TokenFormat};
    /// let secret = "0123456789abcdef0123456789abcdef";
    /// let format = JwtFormat::new(StatelessKeys::new([secret]).unwrap());
    /// let now = time::macros::datetime!(2030-01-01 0:00 UTC);
    /// let claims = Claims {
    ///     id: SessionId::parse("abc").unwrap(),
    ///     state: SessionState { data: Default::default(), created_at: now, max_age: None },
    ///     expires_at: now + time::Duration::HOUR,
    ///     issued_at: now,
    /// };
    /// let token = format.issue(&claims, "id").unwrap();
    ///
    /// // Elsewhere, with any JWT library:
    /// use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
    /// let key = JwtFormat::verification_key(secret);
    /// let mut validation = Validation::new(Algorithm::HS256);
    /// validation.validate_exp = false; // `now` above is not the clock's
    /// decode::<serde_json::Value>(&token, &DecodingKey::from_secret(&key), &validation).unwrap();
    /// ```
    pub fn verification_key(secret: impl AsRef<[u8]>) -> [u8; 32] {
        derive_key(secret.as_ref(), Self::KEY_LABEL)
    }

    /// Tolerance for clock skew when checking `exp`, `nbf` and `iat` (60 seconds unless set).
    /// [`TokenFormat::leeway`] reads it back: called on a `JwtFormat` value, `leeway` is this
    /// builder, so write `TokenFormat::leeway(&format)`.
    ///
    /// ```
    /// use session_core::{JwtFormat, StatelessKeys, TokenFormat};
    /// let keys = StatelessKeys::new(["0123456789abcdef0123456789abcdef"]).unwrap();
    /// let format = JwtFormat::new(keys).leeway(std::time::Duration::from_secs(5));
    /// assert_eq!(TokenFormat::leeway(&format), time::Duration::seconds(5));
    /// ```
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Writes `iss: issuer` into every token and refuses tokens without that exact `iss`.
    /// The session may then not hold a key `iss` of its own (without an issuer it may, if
    /// the value is a string).
    ///
    /// ```
    /// use session_core::{JwtFormat, StatelessKeys, TokenFormat};
    /// let keys = StatelessKeys::new(["0123456789abcdef0123456789abcdef"]).unwrap();
    /// let format = JwtFormat::new(keys).issuer("https://auth.example");
    /// assert!(format.check_key("iss", &"someone else".into()).is_err());
    /// ```
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Writes `aud: audience` into every token and refuses tokens whose `aud` (a string, or an
    /// array of strings) does not name `audience`. Without it, tokens with any `aud` are
    /// refused (RFC 7519, section 4.1.3). The session may never hold a key `aud`.
    ///
    /// ```
    /// use session_core::{JwtFormat, StatelessKeys, TokenFormat};
    /// let keys = StatelessKeys::new(["0123456789abcdef0123456789abcdef"]).unwrap();
    /// let format = JwtFormat::new(keys).audience("shop");
    /// assert!(format.check_key("aud", &"blog".into()).is_err());
    /// ```
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
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

    /// Whether the format writes `key` itself (or, for `aud`, refuses tokens carrying one it
    /// did not configure).
    fn reserves(&self, key: &str) -> bool {
        WRITTEN.contains(&key) || key == "aud" || (key == "iss" && self.issuer.is_some())
    }

    /// The header's key id, if the header is one this format accepts: a JSON object with
    /// `alg: HS256`, no `crit`, and a string `kid` if any.
    fn accepted_kid(header_b64: &str) -> Option<Option<String>> {
        let header: Map<String, Value> =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header_b64).ok()?).ok()?;
        // Never `none`, never an algorithm we did not configure.
        if header.get("alg").and_then(Value::as_str) != Some("HS256")
            // Critical extensions must be understood, and none is (RFC 7515, section 4.1.11).
            || header.contains_key("crit")
        {
            return None;
        }
        match header.get("kid") {
            None => Some(None),
            Some(Value::String(kid)) => Some(Some(kid.clone())),
            Some(_) => None,
        }
    }

    /// Takes the configured `iss` and `aud` out of `body`, if the token carries them as
    /// configured, and checks that what is left is session data [`TokenFormat::issue`] would
    /// take (so that whatever opens can be issued again).
    fn check_registered(&self, body: &mut Map<String, Value>) -> Option<()> {
        if let Some(issuer) = &self.issuer {
            (body.remove("iss")?.as_str()? == issuer).then_some(())?;
        }
        let aud = body.remove("aud");
        match (&self.audience, aud) {
            (_, None) if self.audience.is_none() => {}
            (Some(audience), Some(Value::String(aud))) => (&aud == audience).then_some(())?,
            (Some(audience), Some(Value::Array(auds))) => {
                let names: Option<Vec<&str>> = auds.iter().map(Value::as_str).collect();
                names?.contains(&audience.as_str()).then_some(())?;
            }
            _ => return None,
        }
        body.iter()
            .all(|(k, v)| self.check_key(k, v).is_ok())
            .then_some(())
    }
}

impl TokenFormat for JwtFormat {
    fn issue(&self, claims: &Claims, _cookie_name: &str) -> Result<String, CodecError> {
        let (kid, key) = &self.keys[0];
        let mut body: Map<String, Value> = Map::new();
        for (k, v) in &claims.state.data {
            self.check_key(k, v)?;
            body.insert(k.clone(), v.clone());
        }
        if let Some(issuer) = &self.issuer {
            body.insert("iss".into(), issuer.as_str().into());
        }
        if let Some(audience) = &self.audience {
            body.insert("aud".into(), audience.as_str().into());
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
        let kid = Self::accepted_kid(header_b64)?;
        let mut signature = [0u8; 33];
        if URL_SAFE_NO_PAD
            .decode_slice(signature_b64, &mut signature)
            .ok()?
            != 32
        {
            return None;
        }
        let key_index = self.keys.iter().position(|(own_kid, key)| {
            kid.as_deref().is_none_or(|wanted| wanted == own_kid)
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
        if iat.saturating_sub(leeway) > now_s {
            return None; // issued in the future
        }
        let id = SessionId::parse(body.remove("jti")?.as_str()?)?;
        let created = body.remove("ctm").map_or(Some(iat), |v| v.as_i64())?;
        let max_age = match body.remove("mxa") {
            Some(v) => Some(Duration::from_secs(v.as_u64()?)),
            None => None,
        };
        // What is left is the session's data, which must be data the format could issue.
        self.check_registered(&mut body)?;
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

    fn leeway(&self) -> time::Duration {
        time::Duration::try_from(self.leeway).unwrap_or(time::Duration::MAX)
    }

    fn check_key(&self, key: &str, value: &Value) -> Result<(), RefusedKey> {
        if self.reserves(key) {
            return Err(RefusedKey::Reserved {
                key: key.to_owned(),
            });
        }
        if matches!(key, "sub" | "iss") && !value.is_string() {
            return Err(RefusedKey::WrongType {
                key: key.to_owned(),
                expected: "a string",
            });
        }
        Ok(())
    }
}
