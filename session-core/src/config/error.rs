use std::fmt;

/// A configuration that cannot work. Each message says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// No secret was given.
    NoSecret,
    /// A secret is shorter than 32 bytes and was not marked as legacy.
    ShortSecret {
        /// Position of the secret in the list.
        index: usize,
        /// Its length in bytes.
        len: usize,
    },
    /// The cookie name has characters a cookie name cannot hold.
    InvalidCookieName(String),
    /// `__Host-` cookies must not have a Domain.
    HostPrefixWithDomain,
    /// `__Host-` cookies must have `Path=/`.
    HostPrefixPath(String),
    /// `__Host-` and `__Secure-` cookies must always be `Secure`.
    PrefixWithoutSecure(&'static str),
    /// `SameSite=None` and `Partitioned` need `Secure`.
    NeedsSecure(&'static str),
    /// The path must start with `/` and hold no `;` or control characters.
    InvalidPath(String),
    /// The domain holds characters a domain cannot hold.
    InvalidDomain(String),
    /// The cookie size limit is too small to hold a signed id.
    CookieLimitTooSmall(usize),
    /// The idle timeout is longer than the absolute timeout, so it could never apply.
    IdleLongerThanAbsolute,
    /// A trusted proxy entry is not an IP address or network.
    InvalidProxy(String),
    /// Neither cookies nor a token header carry the credential.
    NoTransport,
    /// A token header name is not a valid HTTP header name.
    InvalidHeaderName(String),
    /// A zero duration where a lifetime is needed.
    ZeroDuration(&'static str),
    /// The first secret, which signs new cookies, is a legacy (short) one.
    LegacySecretSigns,
    /// Stateless sessions need a strong secret, and every secret is a legacy one.
    NoStrongSecret,
    /// A session manager was built with neither a store nor a stateless format, or with both.
    Backend(&'static str),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSecret => f.write_str(
                "no signing secret: call .secret(..) with at least 32 random bytes \
                 (e.g. `openssl rand -base64 48`)",
            ),
            Self::ShortSecret { index, len } => write!(
                f,
                "secret #{index} is {len} bytes; secrets must be at least 32 bytes so that \
                 signatures cannot be brute-forced. Use a longer random secret, or, to keep \
                 verifying cookies of an existing deployment, pass it with .legacy_secret(..) \
                 after a strong current secret"
            ),
            Self::InvalidCookieName(name) => write!(
                f,
                "cookie name {name:?} is not a valid token: use letters, digits and \
                 !#$%&'*+-.^_`|~ only"
            ),
            Self::HostPrefixWithDomain => f.write_str(
                "a `__Host-` cookie must not have a Domain: remove .domain(..) or drop the \
                 `__Host-` prefix (use `__Secure-` to keep a Domain)",
            ),
            Self::HostPrefixPath(path) => write!(
                f,
                "a `__Host-` cookie must have Path=/ but the path is {path:?}: use .path(\"/\")"
            ),
            Self::PrefixWithoutSecure(prefix) => write!(
                f,
                "a `{prefix}` cookie must always be Secure: use .secure(Secure::Always)"
            ),
            Self::NeedsSecure(what) => write!(
                f,
                "{what} cookies are refused by browsers without Secure: use \
                 .secure(Secure::Always) or Secure::Auto"
            ),
            Self::InvalidPath(path) => write!(
                f,
                "cookie path {path:?} must start with `/` and hold no `;` or control characters"
            ),
            Self::InvalidDomain(domain) => write!(
                f,
                "cookie domain {domain:?} must be a host name (letters, digits, `-` and `.`)"
            ),
            Self::CookieLimitTooSmall(n) => write!(
                f,
                "max_cookie_bytes = {n} cannot hold a signed session id: use at least 128"
            ),
            Self::IdleLongerThanAbsolute => f.write_str(
                "the idle timeout is longer than the absolute timeout, so it could never \
                 apply: shorten the idle timeout or lengthen the absolute one",
            ),
            Self::InvalidProxy(text) => write!(
                f,
                "trusted proxy {text:?} is not an IP address or CIDR network (e.g. 10.0.0.0/8)"
            ),
            Self::NoTransport => f.write_str(
                "cookie transport is off and no token header is set, so no request could carry \
                 a session: keep .cookie_transport(true) or add .token_header(..)",
            ),
            Self::InvalidHeaderName(name) => write!(
                f,
                "{name:?} is not a valid header name: use letters, digits and `-`"
            ),
            Self::ZeroDuration(what) => {
                write!(
                    f,
                    "{what} must be longer than zero: leave it unset to disable it"
                )
            }
            Self::NoStrongSecret => f.write_str(
                "stateless tokens need a secret of at least 32 bytes, and every secret is a \
                 legacy one: add a strong secret first with .secret(..)",
            ),
            Self::Backend(what) => f.write_str(what),
            Self::LegacySecretSigns => f.write_str(
                "the first secret signs new cookies, and it is a legacy (short) one: put a \
                 strong secret of at least 32 bytes first with .secret(..), or, only while \
                 another app sharing the sessions cannot change its secret, call \
                 .sign_with_legacy_secret() (with Config::express: put a strong secret first \
                 in `secret`, or set `sign_with_short_secret: true`)",
            ),
        }
    }
}

impl std::error::Error for ConfigError {}
