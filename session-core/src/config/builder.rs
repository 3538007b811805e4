use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

use super::{
    express::ExpressCookie, Config, ConfigError, ConflictPolicy, DuplicateCookies, IdShape,
    SameSite, Secure, SessionTurns, Unset,
};
use crate::signing::Keyring;
use crate::stateless::StatelessKeys;
use crate::transport::TokenHeader;

/// The shortest secret accepted without [`ConfigBuilder::legacy_secret`].
pub(crate) const MIN_SECRET_BYTES: usize = 32;

/// Builds a [`Config`]; [`ConfigBuilder::build`] refuses combinations that cannot work.
///
/// ```
/// use session_core::{Config, ConfigError};
/// let err = Config::builder().secret("too short").build().unwrap_err();
/// assert!(matches!(err, ConfigError::ShortSecret { .. }));
/// assert!(err.to_string().contains("legacy_secret"));
///
/// // An express deployment's old secret keeps verifying, behind a strong current one.
/// let config = Config::builder()
///     .secret("a new secret that is at least 32 bytes long")
///     .legacy_secret("keyboard cat")
///     .cookie_name("connect.sid")
///     .build()
///     .unwrap();
/// assert_eq!(config.keyring().len(), 2);
/// ```
#[derive(Clone)]
#[must_use]
pub struct ConfigBuilder {
    pub(super) secrets: Vec<(Vec<u8>, bool)>,
    pub(super) legacy_signs: bool,
    pub(super) proxies: Vec<String>,
    pub(super) config: Draft,
}

// Secrets are never printed: a configuration dumped to a log must not hand out the key.
impl std::fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigBuilder")
            .field(
                "secrets",
                &format_args!("{} <redacted>", self.secrets.len()),
            )
            .field("legacy_signs", &self.legacy_signs)
            .field("proxies", &self.proxies)
            .field("config", &self.config)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub(super) struct Draft {
    name: String,
    path: String,
    pub(super) domain: Option<String>,
    secure: Secure,
    http_only: bool,
    same_site: Option<SameSite>,
    partitioned: bool,
    max_age: Option<Duration>,
    rolling: bool,
    resave: bool,
    save_uninitialized: bool,
    unset: Unset,
    idle_timeout: Option<Duration>,
    absolute_timeout: Option<Duration>,
    fallback_ttl: Duration,
    touch_threshold: Option<Duration>,
    max_cookie_bytes: usize,
    duplicate_cookies: DuplicateCookies,
    conflict_policy: ConflictPolicy,
    conflict_retries: u32,
    conflict_status: u16,
    turns: SessionTurns,
    cookie_transport: bool,
    token_header: Option<TokenHeader>,
    prefer_header: bool,
    token_response_header: Option<String>,
    id_shape: IdShape,
    pub(super) express: Option<ExpressCookie>,
    /// `X-Forwarded-Proto` is believed from any peer, known or not (express's `proxy: true`).
    pub(super) trust_any_proxy: bool,
}

impl Default for ConfigBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ConfigBuilder {
    /// Every default; add at least one secret.
    pub fn new() -> Self {
        Self {
            secrets: Vec::new(),
            legacy_signs: false,
            proxies: Vec::new(),
            config: Draft {
                name: "id".into(),
                path: "/".into(),
                domain: None,
                secure: Secure::Always,
                http_only: true,
                same_site: Some(SameSite::Lax),
                partitioned: false,
                max_age: None,
                rolling: false,
                resave: false,
                save_uninitialized: false,
                unset: Unset::Destroy,
                idle_timeout: None,
                absolute_timeout: None,
                fallback_ttl: Duration::from_secs(24 * 60 * 60),
                touch_threshold: None,
                max_cookie_bytes: 4096,
                duplicate_cookies: DuplicateCookies::FirstValid,
                conflict_policy: ConflictPolicy::Merge,
                conflict_retries: 3,
                conflict_status: 409,
                turns: SessionTurns::Auto,
                cookie_transport: true,
                token_header: None,
                prefer_header: false,
                token_response_header: None,
                id_shape: IdShape::Generated,
                express: None,
                trust_any_proxy: false,
            },
        }
    }

    /// Adds a signing secret of at least 32 bytes. The first secret added signs; every one
    /// verifies. To rotate, add the new secret first and keep the old ones after it.
    pub fn secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.secrets.push((secret.as_ref().to_vec(), false));
        self
    }

    /// Adds a secret of any length, only to keep verifying cookies signed by an existing
    /// deployment (an express app's `keyboard cat`). Put a strong secret first: a legacy
    /// secret in first place would sign every new cookie, and [`ConfigBuilder::build`]
    /// refuses that unless [`ConfigBuilder::sign_with_legacy_secret`] says so.
    pub fn legacy_secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.secrets.push((secret.as_ref().to_vec(), true));
        self
    }

    /// Lets a legacy secret in first place sign new cookies, for a migration where the other
    /// side (an express app sharing the sessions) cannot take a new secret yet. Its cookies
    /// are only as strong as that secret: move to a strong one as soon as both sides can.
    ///
    /// ```
    /// use session_core::{Config, ConfigError};
    /// let refused = Config::builder().legacy_secret("keyboard cat").build().unwrap_err();
    /// assert_eq!(refused, ConfigError::LegacySecretSigns);
    /// let config = Config::builder()
    ///     .legacy_secret("keyboard cat")
    ///     .sign_with_legacy_secret()
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(config.keyring().len(), 1);
    /// ```
    pub fn sign_with_legacy_secret(mut self) -> Self {
        self.legacy_signs = true;
        self
    }

    /// With `true`, accepts signed session ids of any shape (any non-empty text within the
    /// cookie size limit), for sessions shared with an app whose ids are not 32 base64url
    /// characters (express's default `genid` makes such ids, so express apps do not need
    /// this). Default `false`: a signed value whose id is not shaped like a generated id is
    /// refused before any store call, so that a value signed for another purpose never
    /// reaches the store as an id.
    pub fn foreign_ids(mut self, on: bool) -> Self {
        self.config.id_shape = if on { IdShape::Any } else { IdShape::Generated };
        self
    }

    /// Cookie name. Default `id`. `__Host-` and `__Secure-` prefixes are enforced.
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.config.name = name.into();
        self
    }
    /// Cookie `Path`. Default `/`.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.config.path = path.into();
        self
    }
    /// Cookie `Domain`. Default none.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.config.domain = Some(domain.into());
        self
    }
    /// `Secure` policy. Default [`Secure::Always`].
    pub fn secure(mut self, secure: Secure) -> Self {
        self.config.secure = secure;
        self
    }
    /// `HttpOnly`. Default on.
    pub fn http_only(mut self, on: bool) -> Self {
        self.config.http_only = on;
        self
    }
    /// `SameSite`; `None` here omits the attribute. Default `Some(SameSite::Lax)`.
    pub fn same_site(mut self, same_site: Option<SameSite>) -> Self {
        self.config.same_site = same_site;
        self
    }
    /// `Partitioned`. Default off.
    pub fn partitioned(mut self, on: bool) -> Self {
        self.config.partitioned = on;
        self
    }
    /// Cookie lifetime (`Max-Age` and `Expires`). Default none: a browser-session cookie.
    pub fn max_age(mut self, max_age: Option<Duration>) -> Self {
        self.config.max_age = max_age;
        self
    }
    /// Re-send the cookie (with a fresh expiry) on every response that used the session.
    /// Default off.
    pub fn rolling(mut self, on: bool) -> Self {
        self.config.rolling = on;
        self
    }
    /// Save an unchanged session back to the store on every request. Default off.
    pub fn resave(mut self, on: bool) -> Self {
        self.config.resave = on;
        self
    }
    /// Store (and send a cookie for) new sessions that nobody wrote to. Default off, which
    /// keeps visitors who never log in out of the store.
    pub fn save_uninitialized(mut self, on: bool) -> Self {
        self.config.save_uninitialized = on;
        self
    }
    /// What an emptied session becomes. Default [`Unset::Destroy`].
    pub fn unset(mut self, unset: Unset) -> Self {
        self.config.unset = unset;
        self
    }
    /// End a session after this much inactivity. Default none.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout = Some(timeout);
        self
    }
    /// End a session this long after it was created, however active. Default none.
    pub fn absolute_timeout(mut self, timeout: Duration) -> Self {
        self.config.absolute_timeout = Some(timeout);
        self
    }
    /// Store lifetime when neither an idle timeout nor a max-age is set. Default 24 hours.
    pub fn fallback_ttl(mut self, ttl: Duration) -> Self {
        self.config.fallback_ttl = ttl;
        self
    }
    /// Skip a touch (expiry extension) while it would move the expiry by less than this.
    /// Default: 1% of the session's lifetime, so a busy session is touched about once per
    /// 1% of its lifetime instead of on every request. `Duration::ZERO` touches every time.
    pub fn touch_threshold(mut self, threshold: Duration) -> Self {
        self.config.touch_threshold = Some(threshold);
        self
    }
    /// Largest cookie value (or token) read or written, in bytes as sent, that is before
    /// percent-decoding. Default 4096.
    pub fn max_cookie_bytes(mut self, bytes: usize) -> Self {
        self.config.max_cookie_bytes = bytes;
        self
    }
    /// Which duplicate cookie wins. Default [`DuplicateCookies::FirstValid`].
    pub fn duplicate_cookies(mut self, rule: DuplicateCookies) -> Self {
        self.config.duplicate_cookies = rule;
        self
    }
    /// Trust `X-Forwarded-Proto` from this proxy address or CIDR network (for `Secure::Auto`).
    pub fn trusted_proxy(mut self, proxy: impl Into<String>) -> Self {
        self.proxies.push(proxy.into());
        self
    }
    /// What a save does on a concurrent change. Default [`ConflictPolicy::Merge`].
    pub fn conflict_policy(mut self, policy: ConflictPolicy) -> Self {
        self.config.conflict_policy = policy;
        self
    }
    /// How many times a conflicting save reloads, merges and tries again before it gives up
    /// with a conflict. Default 3; raise it for sessions that many concurrent requests write.
    ///
    /// ```
    /// let config = session_core::Config::builder()
    ///     .secret("0123456789abcdef0123456789abcdef")
    ///     .conflict_retries(20)
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn conflict_retries(mut self, retries: u32) -> Self {
        self.config.conflict_retries = retries;
        self
    }
    /// Whether requests of one session on this instance take turns, each from the load of
    /// the session to its save, so that they never conflict with each other: a conflict then
    /// comes only from another instance. A request of another session never waits. Default
    /// [`SessionTurns::Auto`]: on for a store that waits for IO.
    ///
    /// A request holds its session's turn until its response is finished, so a handler that
    /// hangs holds up the other requests of its session (only); the framework's request
    /// timeout bounds that.
    ///
    /// ```
    /// use session_core::{Config, SessionTurns};
    /// let config = Config::builder()
    ///     .secret("0123456789abcdef0123456789abcdef")
    ///     .session_turns(SessionTurns::Never)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(config.session_turns(), SessionTurns::Never);
    /// ```
    pub fn session_turns(mut self, turns: SessionTurns) -> Self {
        self.config.turns = turns;
        self
    }
    /// HTTP status adapters send for a conflict. Default 409.
    pub fn conflict_status(mut self, status: u16) -> Self {
        self.config.conflict_status = status;
        self
    }

    /// Also accept the credential from a request header (`Authorization: Bearer` or a named
    /// header), for APIs and mobile apps. New tokens are returned in a response header when a
    /// session is created, regenerated or re-signed. Default: cookies only.
    pub fn token_header(mut self, header: TokenHeader) -> Self {
        self.config.token_header = Some(header);
        self
    }
    /// Whether cookies carry the credential at all. Default on; turn off for header-only APIs.
    pub fn cookie_transport(mut self, on: bool) -> Self {
        self.config.cookie_transport = on;
        self
    }
    /// When a request has both a cookie and a token header, try the header first. Default:
    /// the cookie wins.
    pub fn prefer_header(mut self, on: bool) -> Self {
        self.config.prefer_header = on;
        self
    }
    /// The response header that carries new tokens. Default: the request header's name for
    /// [`TokenHeader::Named`], `x-session-token` for [`TokenHeader::Bearer`].
    pub fn token_response_header(mut self, name: impl Into<String>) -> Self {
        self.config.token_response_header = Some(name.into());
        self
    }

    /// Validates and freezes the configuration.
    pub fn build(self) -> Result<Config, ConfigError> {
        let d = self.config;
        if self.secrets.is_empty() {
            return Err(ConfigError::NoSecret);
        }
        if let Some(index) = self
            .secrets
            .iter()
            .position(|(s, legacy)| !legacy && s.len() < MIN_SECRET_BYTES)
        {
            let len = self.secrets[index].0.len();
            return Err(ConfigError::ShortSecret { index, len });
        }
        if self.secrets.first().is_some_and(|(_, legacy)| *legacy) && !self.legacy_signs {
            return Err(ConfigError::LegacySecretSigns);
        }
        if d.name.is_empty() || !d.name.bytes().all(is_token_byte) {
            return Err(ConfigError::InvalidCookieName(d.name));
        }
        if !d.path.starts_with('/') || d.path.bytes().any(|b| b == b';' || b.is_ascii_control()) {
            return Err(ConfigError::InvalidPath(d.path));
        }
        if let Some(domain) = &d.domain {
            let ok = !domain.is_empty()
                && domain
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
            if !ok {
                return Err(ConfigError::InvalidDomain(domain.clone()));
            }
        }
        if d.name.starts_with("__Host-") {
            if d.domain.is_some() {
                return Err(ConfigError::HostPrefixWithDomain);
            }
            if d.path != "/" {
                return Err(ConfigError::HostPrefixPath(d.path));
            }
            if d.secure != Secure::Always {
                return Err(ConfigError::PrefixWithoutSecure("__Host-"));
            }
        }
        if d.name.starts_with("__Secure-") && d.secure != Secure::Always {
            return Err(ConfigError::PrefixWithoutSecure("__Secure-"));
        }
        if d.secure == Secure::Never {
            if d.same_site == Some(SameSite::None) {
                return Err(ConfigError::NeedsSecure("SameSite=None"));
            }
            if d.partitioned {
                return Err(ConfigError::NeedsSecure("Partitioned"));
            }
        }
        if d.max_cookie_bytes < 128 {
            return Err(ConfigError::CookieLimitTooSmall(d.max_cookie_bytes));
        }
        for (what, value) in [
            ("max_age", d.max_age),
            ("idle_timeout", d.idle_timeout),
            ("absolute_timeout", d.absolute_timeout),
            ("fallback_ttl", Some(d.fallback_ttl)),
        ] {
            if value == Some(Duration::ZERO) {
                return Err(ConfigError::ZeroDuration(what));
            }
        }
        if let (Some(idle), Some(absolute)) = (d.idle_timeout, d.absolute_timeout) {
            if idle > absolute {
                return Err(ConfigError::IdleLongerThanAbsolute);
            }
        }
        if !d.cookie_transport && d.token_header.is_none() {
            return Err(ConfigError::NoTransport);
        }
        let header_names = d.token_response_header.iter().chain(match &d.token_header {
            Some(TokenHeader::Named(name)) => Some(name),
            _ => None,
        });
        for name in header_names {
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err(ConfigError::InvalidHeaderName(name.clone()));
            }
        }
        let trusted_proxies = self
            .proxies
            .iter()
            .map(|text| parse_net(text).ok_or_else(|| ConfigError::InvalidProxy(text.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        let keyring = Keyring::new(self.secrets.iter().map(|(s, _)| s.as_slice()))
            .map_err(|_| ConfigError::NoSecret)?;
        let strong = self.secrets.iter().filter(|(_, legacy)| !legacy);
        let stateless_keys = StatelessKeys::new(strong.map(|(s, _)| s.as_slice())).ok();
        Ok(Config {
            name: d.name,
            path: d.path,
            domain: d.domain,
            secure: d.secure,
            http_only: d.http_only,
            same_site: d.same_site,
            partitioned: d.partitioned,
            max_age: d.max_age,
            rolling: d.rolling,
            resave: d.resave,
            save_uninitialized: d.save_uninitialized,
            unset: d.unset,
            idle_timeout: d.idle_timeout,
            absolute_timeout: d.absolute_timeout,
            fallback_ttl: d.fallback_ttl,
            touch_threshold: d.touch_threshold,
            max_cookie_bytes: d.max_cookie_bytes,
            duplicate_cookies: d.duplicate_cookies,
            keyring,
            trusted_proxies,
            conflict_policy: d.conflict_policy,
            conflict_retries: d.conflict_retries,
            conflict_status: d.conflict_status,
            turns: d.turns,
            cookie_transport: d.cookie_transport,
            token_header: d.token_header,
            prefer_header: d.prefer_header,
            token_response_header: d.token_response_header,
            id_shape: d.id_shape,
            stateless_keys,
            express: d.express,
            trust_any_proxy: d.trust_any_proxy,
        })
    }
}

/// RFC 6265 cookie-name token characters.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn parse_net(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn host_prefix_with_domain_is_refused() {
        let err = ConfigBuilder::new()
            .secret(GOOD)
            .cookie_name("__Host-id")
            .domain("example.com")
            .build()
            .unwrap_err();
        assert_eq!(err, ConfigError::HostPrefixWithDomain);
        assert!(err.to_string().contains("remove .domain"));
    }

    #[test]
    fn prefixes_need_secure() {
        for name in ["__Host-id", "__Secure-id"] {
            let err = ConfigBuilder::new()
                .secret(GOOD)
                .cookie_name(name)
                .secure(Secure::Auto)
                .build()
                .unwrap_err();
            assert!(matches!(err, ConfigError::PrefixWithoutSecure(_)));
        }
    }

    #[test]
    fn other_refusals() {
        let b = || ConfigBuilder::new().secret(GOOD);
        assert_eq!(
            ConfigBuilder::new().build().unwrap_err(),
            ConfigError::NoSecret
        );
        assert!(matches!(
            b().cookie_name("a b").build(),
            Err(ConfigError::InvalidCookieName(_))
        ));
        assert!(matches!(
            b().path("x").build(),
            Err(ConfigError::InvalidPath(_))
        ));
        assert!(matches!(
            b().domain("a;b").build(),
            Err(ConfigError::InvalidDomain(_))
        ));
        assert!(matches!(
            b().secure(Secure::Never)
                .same_site(Some(SameSite::None))
                .build(),
            Err(ConfigError::NeedsSecure(_))
        ));
        assert!(matches!(
            b().max_cookie_bytes(10).build(),
            Err(ConfigError::CookieLimitTooSmall(10))
        ));
        assert!(matches!(
            b().idle_timeout(Duration::from_secs(10))
                .absolute_timeout(Duration::from_secs(5))
                .build(),
            Err(ConfigError::IdleLongerThanAbsolute)
        ));
        assert!(matches!(
            b().trusted_proxy("nope").build(),
            Err(ConfigError::InvalidProxy(_))
        ));
        assert!(matches!(
            b().max_age(Some(Duration::ZERO)).build(),
            Err(ConfigError::ZeroDuration(_))
        ));
    }

    #[test]
    fn proxies_accept_addresses_and_networks() {
        let c = ConfigBuilder::new()
            .secret(GOOD)
            .trusted_proxy("127.0.0.1")
            .trusted_proxy("10.0.0.0/8")
            .build()
            .unwrap();
        assert!(c.trusts_proxy("10.1.2.3".parse().unwrap()));
        assert!(c.trusts_proxy("127.0.0.1".parse().unwrap()));
        assert!(!c.trusts_proxy("192.168.0.1".parse().unwrap()));
    }
}
