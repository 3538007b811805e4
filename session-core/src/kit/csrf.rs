//! CSRF tokens, the synchronizer-token pattern (OWASP): a secret per session, rendered
//! masked so that it never appears twice the same in a response (BREACH reads secrets out of
//! compressed responses that repeat them), checked in constant time.
//!
//! With stateless sessions the secret travels inside the session's own signed (or encrypted)
//! token, so no server state is needed: the cookie carries the secret under the token
//! format's MAC and the request must submit it too, masked. That is OWASP's signed
//! double-submit cookie, bound to the session.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::SessionError;
use crate::id::RandomnessUnavailable;
use crate::session::Session;

/// The session key the secret is kept under.
pub const CSRF_KEY: &str = "_csrf";
/// The request header a script sends the token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field a form sends the token in.
pub const CSRF_FIELD: &str = "csrf_token";

const SECRET_BYTES: usize = 32;

/// Why a request that must carry a CSRF token was refused (a 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CsrfError {
    /// No token in the header or the form.
    Missing,
    /// A token that is not this session's (forged, from another session, or from before a
    /// login, which starts a new secret).
    Invalid,
}

impl CsrfError {
    /// The HTTP status to answer with: 403.
    pub fn status(self) -> u16 {
        403
    }
}

impl std::fmt::Display for CsrfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Missing => "no CSRF token in the request",
            Self::Invalid => "the CSRF token is not this session's",
        })
    }
}

impl std::error::Error for CsrfError {}

/// The largest form body a CSRF guard reads to find [`CSRF_FIELD`] (1 MiB); a larger one
/// is refused with 413. Forms with files (multipart) are not read: send the token in the
/// [`CSRF_HEADER`] with them.
pub const FORM_LIMIT: usize = 1 << 20;

/// Whether a guard should read the body for the token: the request has no [`CSRF_HEADER`],
/// its method needs a token, and its body is an HTML form
/// (`application/x-www-form-urlencoded`).
pub fn token_in_body(method: &str, header: Option<&str>, content_type: Option<&str>) -> bool {
    let form = content_type.is_some_and(|ct| {
        let essence = ct.split(';').next().unwrap_or_default().trim();
        essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
    });
    !is_safe_method(method) && header.is_none() && form
}

/// The [`CSRF_FIELD`] of a form body (`application/x-www-form-urlencoded`), decoded; the
/// first one if there are several.
///
/// ```
/// use session_core::kit::csrf_field;
/// assert_eq!(csrf_field(b"name=ann&csrf_token=abc%2D1"), Some("abc-1".to_owned()));
/// assert_eq!(csrf_field(b"name=ann"), None);
/// ```
pub fn csrf_field(body: &[u8]) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(name, _)| name == CSRF_FIELD)
        .map(|(_, value)| value.into_owned())
}

/// Whether a request with `method` changes nothing and so needs no token (GET, HEAD,
/// OPTIONS, TRACE); every other method needs one.
pub fn is_safe_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

impl Session {
    /// This session's CSRF token, masked afresh: put it in a form's hidden
    /// [`CSRF_FIELD`] or a script's [`CSRF_HEADER`]. The first call creates the session's
    /// secret (so the session is saved); every call returns a different string that
    /// [`Session::verify_csrf`] accepts until the session ends or logs in.
    ///
    /// ```
    /// # async fn run(session: session_core::Session) -> Result<(), session_core::SessionError> {
    /// let token = session.csrf_token().await?;
    /// let form = format!(r#"<input type="hidden" name="csrf_token" value="{token}">"#);
    /// assert!(session.verify_csrf(&token).await?);
    /// # Ok(()) }
    /// ```
    pub async fn csrf_token(&self) -> Result<String, SessionError> {
        let secret = match self.csrf_secret().await? {
            Some(secret) => secret,
            None => {
                let mut secret = [0u8; SECRET_BYTES];
                getrandom::fill(&mut secret).map_err(|_| RandomnessUnavailable)?;
                self.insert(CSRF_KEY, URL_SAFE_NO_PAD.encode(secret))
                    .await?;
                secret
            }
        };
        let mut token = [0u8; 2 * SECRET_BYTES];
        let (mask, masked) = token.split_at_mut(SECRET_BYTES);
        getrandom::fill(mask).map_err(|_| RandomnessUnavailable)?;
        for ((out, m), s) in masked.iter_mut().zip(mask.iter()).zip(secret) {
            *out = m ^ s;
        }
        Ok(URL_SAFE_NO_PAD.encode(token))
    }

    /// Whether `submitted` is a token of this session (see [`Session::csrf_token`]),
    /// compared in constant time. A session without a secret accepts none.
    pub async fn verify_csrf(&self, submitted: &str) -> Result<bool, SessionError> {
        let Some(secret) = self.csrf_secret().await? else {
            return Ok(false);
        };
        let mut token = [0u8; 2 * SECRET_BYTES];
        match URL_SAFE_NO_PAD.decode_slice(submitted.trim(), &mut token) {
            Ok(len) if len == token.len() => {}
            _ => return Ok(false),
        }
        let (mask, masked) = token.split_at(SECRET_BYTES);
        let unmasked: Vec<u8> = mask.iter().zip(masked).map(|(m, x)| m ^ x).collect();
        Ok(crate::signing::macs_equal(&unmasked, &secret))
    }

    /// The guard's check for a request with `method` carrying `submitted` (from the
    /// [`CSRF_HEADER`] or the [`CSRF_FIELD`]): safe methods pass; others need this session's
    /// token. An adapter's CSRF guard answers a [`CsrfError`] with its status, 403.
    pub async fn check_csrf(
        &self,
        method: &str,
        submitted: Option<&str>,
    ) -> Result<Result<(), CsrfError>, SessionError> {
        if is_safe_method(method) {
            return Ok(Ok(()));
        }
        let Some(submitted) = submitted.filter(|s| !s.is_empty()) else {
            return Ok(Err(CsrfError::Missing));
        };
        Ok(if self.verify_csrf(submitted).await? {
            Ok(())
        } else {
            Err(CsrfError::Invalid)
        })
    }

    /// Forgets the secret, so that tokens rendered so far stop verifying (done at login).
    pub(crate) async fn rotate_csrf(&self) -> Result<(), SessionError> {
        if self.csrf_secret().await?.is_some() {
            self.remove(CSRF_KEY).await?;
        }
        Ok(())
    }

    async fn csrf_secret(&self) -> Result<Option<[u8; SECRET_BYTES]>, SessionError> {
        // Anything but a string there (written by something else) is no secret.
        let Some(serde_json::Value::String(text)) = self.get(CSRF_KEY).await? else {
            return Ok(None);
        };
        let mut secret = [0u8; SECRET_BYTES];
        Ok(match URL_SAFE_NO_PAD.decode_slice(&text, &mut secret) {
            Ok(SECRET_BYTES) => Some(secret),
            _ => None,
        })
    }
}
