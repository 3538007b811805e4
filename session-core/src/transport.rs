//! Where the session credential travels: cookies, a request header, or both.

use crate::config::{Config, DuplicateCookies, Secure};
use crate::cookie_header::cookie_values;
use crate::encoding::decode_uri_component;
use crate::request::RequestView;
use crate::session::Candidates;

/// At most this many credentials are verified per request, so that a header stuffed with
/// copies of the session cookie cannot buy many HMAC computations.
const MAX_CANDIDATES: usize = 8;

/// The request header that carries the session token, for APIs and mobile apps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenHeader {
    /// `Authorization: Bearer <token>`. Responses carry new tokens in `X-Session-Token`
    /// unless [`crate::ConfigBuilder::token_response_header`] says otherwise.
    Bearer,
    /// A header of this name (e.g. `x-session-token`), also used for responses.
    Named(String),
}

/// The credentials a request carries, in the order they are tried.
pub(crate) fn candidates(config: &Config, request: &impl RequestView) -> Candidates {
    let mut out = Candidates::default();
    let header = || token_from_header(config, request);
    if config.prefer_header {
        if let Some(token) = header() {
            out.push(token);
        }
    }
    if config.cookie_transport {
        let mut seen = 0;
        'headers: for value in request.cookie_headers() {
            for value in cookie_values(value, &config.name) {
                seen += 1;
                // An oversized value is ignored: the visitor gets a new session.
                if value.len() <= config.max_cookie_bytes {
                    out.push(value.into_owned());
                }
                if config.duplicate_cookies == DuplicateCookies::FirstOnly || seen == MAX_CANDIDATES
                {
                    break 'headers;
                }
            }
        }
    }
    if !config.prefer_header {
        if let Some(token) = header() {
            out.push(token);
        }
    }
    out
}

fn token_from_header(config: &Config, request: &impl RequestView) -> Option<String> {
    let raw = match config.token_header.as_ref()? {
        TokenHeader::Bearer => {
            let value = request.header("authorization")?;
            let (scheme, token) = value.split_at_checked(7)?;
            if !scheme.eq_ignore_ascii_case(b"bearer ") {
                return None;
            }
            token
        }
        TokenHeader::Named(name) => request.header(name)?,
    };
    let token = std::str::from_utf8(raw.trim_ascii()).ok()?;
    if token.is_empty() || token.len() > config.max_cookie_bytes {
        return None;
    }
    // Tokens are sent as issued (percent-encoded like the cookie), but clients that decoded
    // them first are accepted too.
    Some(match token.contains('%') {
        true => decode_uri_component(token).unwrap_or_else(|| token.to_owned()),
        false => token.to_owned(),
    })
}

/// Whether the `Secure` attribute applies to this request's cookie.
pub(crate) fn is_secure(config: &Config, request: &impl RequestView) -> bool {
    match config.secure {
        Secure::Always => true,
        Secure::Never => false,
        Secure::Auto => request.is_tls() || forwarded_https(config, request),
    }
}

/// A trusted proxy's `X-Forwarded-Proto` (its first entry: the client-facing hop) is https.
fn forwarded_https(config: &Config, request: &impl RequestView) -> bool {
    let trusted = request.peer_ip().is_some_and(|ip| config.trusts_proxy(ip));
    trusted
        && request
            .header("x-forwarded-proto")
            .and_then(|v| v.split(|&b| b == b',').next())
            .is_some_and(|proto| proto.trim_ascii().eq_ignore_ascii_case(b"https"))
}
