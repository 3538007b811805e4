//! The one configuration type every adapter shares: built once, validated, immutable.

mod builder;
mod error;
mod express;

use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

pub use builder::ConfigBuilder;
pub(crate) use builder::MIN_SECRET_BYTES;
pub use error::ConfigError;
pub use express::{ExpressCookie, ExpressOptions};

use crate::signing::Keyring;
use crate::stateless::StatelessKeys;
use crate::transport::TokenHeader;

/// When the cookie carries the `Secure` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secure {
    /// Always (the default). Browsers then send the cookie over HTTPS only.
    Always,
    /// Never. Only for plain-HTTP development servers.
    Never,
    /// When the request arrived over TLS, or a trusted proxy says `X-Forwarded-Proto: https`.
    Auto,
}

/// The cookie's `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Sent only with same-site requests.
    Strict,
    /// Sent with same-site requests and top-level navigations (the default).
    Lax,
    /// Sent with every request; needs `Secure`.
    None,
}

/// What happens to a stored session whose handler removed all its data (express' `unset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unset {
    /// Delete the record and clear the cookie (the default).
    Destroy,
    /// Keep the stored record as it was; the emptying is not saved.
    Keep,
}

/// Which of several cookies with the session's name is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateCookies {
    /// Try each in order; the first whose signature verifies wins (the default). A stray cookie
    /// set on a parent domain then cannot lock a user out.
    FirstValid,
    /// Only the first occurrence counts, exactly like express-session's `cookie.parse`.
    FirstOnly,
}

/// What a save does when another request changed the record since this one loaded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictPolicy {
    /// Re-apply this request's changes onto the newer record when none of the keys it read or
    /// wrote changed meanwhile; otherwise fail with [`crate::SessionError::Conflict`]. The default.
    Merge,
    /// Overwrite the newer record with this request's whole session (what most session layers
    /// do silently; concurrent writes are lost).
    LastWriteWins,
    /// Fail with [`crate::SessionError::Conflict`] on any concurrent change.
    Error,
}

/// Whether requests of one session on this instance take turns, from loading the session to
/// saving it ([`ConfigBuilder::session_turns`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionTurns {
    /// On for a store that waits for IO (Redis, SQL), where a turn costs nothing measurable
    /// beside a round trip; off for one that never waits (the memory store), where its
    /// bookkeeping would be a measurable share of a request and a conflict costs no round
    /// trip. The default.
    Auto,
    /// Always.
    Always,
    /// Never: concurrent requests of one session each load, and the later save meets the
    /// conflict policy.
    Never,
}

/// Validated session configuration. Build it with [`Config::builder`].
///
/// ```
/// use session_core::{Config, SameSite, Secure};
/// use std::time::Duration;
/// let config = Config::builder()
///     .secret("a secret of at least thirty-two bytes!!")
///     .cookie_name("__Host-sid")
///     .idle_timeout(Duration::from_secs(30 * 60))
///     .build()
///     .unwrap();
/// assert_eq!(config.cookie_name(), "__Host-sid");
/// assert_eq!(config.same_site(), Some(SameSite::Lax));
/// assert_eq!(config.secure(), Secure::Always);
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) name: String,
    pub(crate) path: String,
    pub(crate) domain: Option<String>,
    pub(crate) secure: Secure,
    pub(crate) http_only: bool,
    pub(crate) same_site: Option<SameSite>,
    pub(crate) partitioned: bool,
    pub(crate) max_age: Option<Duration>,
    pub(crate) rolling: bool,
    pub(crate) resave: bool,
    pub(crate) save_uninitialized: bool,
    pub(crate) unset: Unset,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) absolute_timeout: Option<Duration>,
    pub(crate) fallback_ttl: Duration,
    pub(crate) touch_threshold: Option<Duration>,
    pub(crate) max_cookie_bytes: usize,
    pub(crate) duplicate_cookies: DuplicateCookies,
    pub(crate) keyring: Keyring,
    pub(crate) trusted_proxies: Vec<IpNet>,
    pub(crate) conflict_policy: ConflictPolicy,
    pub(crate) conflict_retries: u32,
    pub(crate) conflict_status: u16,
    pub(crate) turns: SessionTurns,
    pub(crate) cookie_transport: bool,
    pub(crate) token_header: Option<TokenHeader>,
    pub(crate) prefer_header: bool,
    pub(crate) token_response_header: Option<String>,
    pub(crate) id_shape: IdShape,
    /// The strong secrets (legacy ones left out), for stateless formats, which derive their
    /// own keys from them; `None` when every secret is a legacy one.
    pub(crate) stateless_keys: Option<StatelessKeys>,
    /// express-session's cookie options, when built by [`Config::express`]: the cookie then
    /// has no `Max-Age` and `regenerate` starts an empty session, as express does.
    pub(crate) express: Option<ExpressCookie>,
    /// `X-Forwarded-Proto` is believed from any peer, known or not (express's `proxy: true`).
    pub(crate) trust_any_proxy: bool,
}

/// Which signed ids are let through to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdShape {
    /// 32 base64url characters, as [`crate::SessionId::generate`] and express's `genid` make.
    Generated,
    /// Any non-empty id ([`ConfigBuilder::foreign_ids`]); the cookie size limit bounds it.
    Any,
}

impl IdShape {
    /// Whether `id` has this shape.
    pub(crate) fn accepts(self, id: &str) -> bool {
        match self {
            Self::Generated => {
                id.len() == 32
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            }
            Self::Any => !id.is_empty(),
        }
    }
}

impl Config {
    /// Starts a builder with every default (see each builder method for its default).
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::new()
    }

    /// Cookie name. Default `id`.
    pub fn cookie_name(&self) -> &str {
        &self.name
    }
    /// Cookie `Path`. Default `/`.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// Cookie `Domain`. Default none (host-only cookie).
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }
    /// `Secure` policy. Default [`Secure::Always`].
    pub fn secure(&self) -> Secure {
        self.secure
    }
    /// `HttpOnly`. Default on.
    pub fn http_only(&self) -> bool {
        self.http_only
    }
    /// `SameSite`. Default `Lax`.
    pub fn same_site(&self) -> Option<SameSite> {
        self.same_site
    }
    /// `Partitioned` (CHIPS). Default off.
    pub fn partitioned(&self) -> bool {
        self.partitioned
    }
    /// Cookie lifetime. Default none: a browser-session cookie.
    pub fn max_age(&self) -> Option<Duration> {
        self.max_age
    }
    /// Re-send the cookie on every response. Default off.
    pub fn rolling(&self) -> bool {
        self.rolling
    }
    /// Save unchanged sessions back. Default off.
    pub fn resave(&self) -> bool {
        self.resave
    }
    /// Store new sessions nobody wrote to. Default off.
    pub fn save_uninitialized(&self) -> bool {
        self.save_uninitialized
    }
    /// What an emptied session becomes. Default [`Unset::Destroy`].
    pub fn unset(&self) -> Unset {
        self.unset
    }
    /// Inactivity after which a session ends. Default none.
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout
    }
    /// Lifetime from creation after which a session ends, however active. Default none.
    pub fn absolute_timeout(&self) -> Option<Duration> {
        self.absolute_timeout
    }
    /// Largest cookie value (or token) read or written, in bytes as sent, that is before
    /// percent-decoding. Default 4096.
    pub fn max_cookie_bytes(&self) -> usize {
        self.max_cookie_bytes
    }
    /// Which duplicate cookie wins. Default [`DuplicateCookies::FirstValid`].
    pub fn duplicate_cookies(&self) -> DuplicateCookies {
        self.duplicate_cookies
    }
    /// The signing secrets.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }
    /// The configured secrets as keys for a stateless format, which derives its own keys from
    /// them (see [`crate::stateless`]), so that one list of secrets serves cookies and tokens.
    /// Legacy secrets are left out; an error when there is no other.
    ///
    /// ```
    /// use session_core::{Config, JwtFormat};
    /// let config = Config::builder().secret("0123456789abcdef0123456789abcdef").build().unwrap();
    /// let format = JwtFormat::new(config.stateless_keys().unwrap());
    /// # let _ = format;
    /// ```
    pub fn stateless_keys(&self) -> Result<StatelessKeys, ConfigError> {
        self.stateless_keys
            .clone()
            .ok_or(ConfigError::NoStrongSecret)
    }
    /// What a save does on a concurrent change. Default [`ConflictPolicy::Merge`].
    pub fn conflict_policy(&self) -> ConflictPolicy {
        self.conflict_policy
    }
    /// HTTP status for [`crate::SessionError::Conflict`]. Default 409.
    pub fn conflict_status(&self) -> u16 {
        self.conflict_status
    }
    /// Whether requests of one session take turns ([`ConfigBuilder::session_turns`]).
    pub fn session_turns(&self) -> SessionTurns {
        self.turns
    }

    /// Whether the credential travels in a cookie. Default on.
    pub fn cookie_transport(&self) -> bool {
        self.cookie_transport
    }
    /// The request header that may carry the credential. Default none.
    pub fn token_header(&self) -> Option<&TokenHeader> {
        self.token_header.as_ref()
    }

    /// How long a session lives after its last write or touch: a custom max-age (remember
    /// me) first, then the idle timeout, then the cookie max-age, then the fallback TTL.
    pub(crate) fn lifetime(&self, custom_max_age: Option<Duration>) -> Duration {
        let configured_max_age = match custom_max_age {
            Some(Duration::ZERO) => None, // a browser-session cookie was asked for
            _ => self.max_age,
        };
        custom_max_age
            .filter(|d| !d.is_zero())
            .or(self.idle_timeout)
            .or(configured_max_age)
            .unwrap_or(self.fallback_ttl)
    }

    /// The cookie's lifetime: the session's own (zero meaning a browser-session cookie), else
    /// the configured one.
    pub(crate) fn cookie_max_age(&self, custom_max_age: Option<Duration>) -> Option<Duration> {
        match custom_max_age {
            Some(Duration::ZERO) => None,
            Some(d) => Some(d),
            None => self.max_age,
        }
    }

    /// A touch is skipped while it would move the expiry by less than this.
    pub(crate) fn touch_threshold(&self, lifetime: Duration) -> Duration {
        self.touch_threshold.unwrap_or(lifetime / 100)
    }

    /// Whether a proxy at `peer` may tell us the original scheme.
    pub(crate) fn trusts_proxy(&self, peer: IpAddr) -> bool {
        // A dual-stack listener reports IPv4 peers as IPv4-mapped IPv6 (`::ffff:10.0.0.5`):
        // compared in their canonical form, they match the IPv4 networks configured.
        let peer = peer.to_canonical();
        self.trusted_proxies.iter().any(|net| net.contains(&peer))
    }
}
