//! Where the session credential travels: cookies, a request header, or both.

use crate::config::{Config, DuplicateCookies, Secure};
use crate::cookie_header::{raw_cookie_values, read_value, DecodeBuf};
use crate::inline_str::InlineStr;
use crate::observe::{self, Rejection};
use crate::request::RequestView;

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

/// The credentials a request carries, as sent (not yet percent-decoded), in the order they
/// are tried. Only UTF-8 values are kept (checked once, here), as `cookie.parse` cannot read
/// others. The first is held inline, so the usual single cookie costs no allocation, and
/// nothing is decoded until the session is used.
#[derive(Default)]
pub(crate) struct Candidates {
    /// Room for a signed id's 80 characters and a longer custom id.
    first: Option<InlineStr<96>>,
    rest: Vec<Box<str>>,
    /// A credential came in the token header: only then may a response carry the token in a
    /// header while cookies are on (a header is readable by page scripts, which an
    /// `HttpOnly` cookie is not).
    pub(crate) from_header: bool,
}

impl Candidates {
    /// Whether the request offered no credential.
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none() && self.rest.is_empty()
    }

    fn push(&mut self, raw: &str) {
        match self.first {
            None => self.first = Some(InlineStr::of(raw)),
            Some(_) => self.rest.push(raw.into()),
        }
    }

    /// The first `Some` that `f` gives for a candidate, read as `cookie.parse` would
    /// (percent-decoded when it decodes).
    pub(crate) fn find_map<T>(&self, mut f: impl FnMut(&str) -> Option<T>) -> Option<T> {
        let first = self.first.as_ref().map(InlineStr::as_str).into_iter();
        first
            .chain(self.rest.iter().map(|r| &r[..]))
            .find_map(|raw| {
                let mut buf = DecodeBuf::default();
                f(read_value(raw, &mut buf).as_str())
            })
    }
}

/// Collects the request's credentials into `out`, which is empty; see [`Candidates`].
/// Filled in place, inside the handle: returned by value, the 128 bytes were copied twice.
pub(crate) fn collect_candidates(
    config: &Config,
    request: &impl RequestView,
    out: &mut Candidates,
) {
    let header = |out: &mut Candidates| {
        if let Some(token) = token_from_header(config, request) {
            out.push(token);
            out.from_header = true;
        }
    };
    if config.prefer_header {
        header(out);
    }
    if config.cookie_transport {
        let mut seen = 0;
        'headers: for value in request.cookie_headers() {
            // Values that are not UTF-8 are unreadable, as in `cookie.parse`: they are not
            // candidates and do not count as the first cookie.
            let readable = raw_cookie_values(value, &config.name)
                .filter_map(|value| std::str::from_utf8(value).ok());
            for value in readable {
                seen += 1;
                // An oversized value is ignored: the visitor gets a new session.
                if value.len() <= config.max_cookie_bytes {
                    out.push(value);
                } else {
                    observe::rejected(Rejection::TooLarge);
                }
                if config.duplicate_cookies == DuplicateCookies::FirstOnly || seen == MAX_CANDIDATES
                {
                    break 'headers;
                }
            }
        }
    }
    if !config.prefer_header {
        header(out);
    }
}

/// The token header's value as sent; decoded on use like a cookie, so tokens are accepted as
/// issued (percent-encoded) and from clients that decoded them first.
fn token_from_header<'r>(config: &Config, request: &'r impl RequestView) -> Option<&'r str> {
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
    let token = raw.trim_ascii();
    if token.len() > config.max_cookie_bytes {
        observe::rejected(Rejection::TooLarge);
        return None;
    }
    if token.is_empty() {
        return None;
    }
    std::str::from_utf8(token).ok()
}

/// Whether the `Secure` attribute applies to this request's cookie.
pub(crate) fn is_secure(config: &Config, request: &impl RequestView) -> bool {
    match config.secure {
        Secure::Always => true,
        Secure::Never => false,
        Secure::Auto => request.is_tls() || forwarded_https(config, request),
    }
}

/// Whether the cookie may be sent at all: with [`Config::express`], a `Secure` cookie is not
/// sent in answer to a plain-HTTP request (express-session's "not secured"), where a browser
/// would drop it anyway.
pub(crate) fn cookie_withheld(config: &Config, request: &impl RequestView) -> bool {
    config.express.is_some()
        && config.secure == Secure::Always
        && !(request.is_tls() || forwarded_https(config, request))
}

/// A trusted proxy's `X-Forwarded-Proto` (its first entry: the client-facing hop) is https.
fn forwarded_https(config: &Config, request: &impl RequestView) -> bool {
    let trusted =
        config.trust_any_proxy || request.peer_ip().is_some_and(|ip| config.trusts_proxy(ip));
    trusted
        && request
            .header("x-forwarded-proto")
            .and_then(|v| v.split(|&b| b == b',').next())
            .is_some_and(|proto| proto.trim_ascii().eq_ignore_ascii_case(b"https"))
}

#[cfg(all(test, feature = "http"))]
mod tests {
    use super::*;
    use crate::request::HttpRequest;

    /// How many credentials a request with this `Cookie` header offers under `limit`.
    fn offered(limit: usize, cookie: &str) -> usize {
        let config = Config::builder()
            .secret("0123456789abcdef0123456789abcdef")
            .max_cookie_bytes(limit)
            .build()
            .expect("a valid configuration");
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            cookie.parse().expect("a header value"),
        );
        let request = HttpRequest {
            headers: &headers,
            peer: None,
            tls: false,
        };
        let (mut seen, mut candidates) = (0, Candidates::default());
        collect_candidates(&config, &request, &mut candidates);
        candidates.find_map(|_| {
            seen += 1;
            None::<()>
        });
        seen
    }

    #[test]
    fn the_size_limit_applies_to_the_value_as_sent() {
        // 130 bytes as sent, 126 once "%3A" and "%2F" are decoded.
        let value = format!("s%3A{}%2F", "a".repeat(123));
        assert_eq!(value.len(), 130);
        assert_eq!(offered(130, &format!("id={value}")), 1);
        assert_eq!(offered(129, &format!("id={value}")), 0);
    }
}
