//! express-session's options, named as express names them, as one preset.

use std::time::Duration;

use super::{ConfigBuilder, DuplicateCookies, SameSite, Secure, Unset, MIN_SECRET_BYTES};
use crate::Config;

/// The options of express-session 1.19, as its `session({..})` call takes them, for a service
/// that shares sessions with an express app or takes over from one.
/// [`ConfigBuilder::express_session`] turns them into a configuration that behaves as
/// express-session does with the same options:
///
/// - the cookie: the same attributes in the same order, and no `Max-Age` (express sends
///   `Expires` only), so the `Set-Cookie` is byte for byte express's for the same id;
/// - [`Session::regenerate`](crate::Session::regenerate) starts an empty session, as
///   `req.session.regenerate` does (and so does [`Session::login`](crate::Session::login));
/// - the expiry is touched on every request (the store's TTL; the cookie only when
///   `rolling` or the session changed);
/// - only the first cookie with the session's name is read;
/// - `secret`: express's list, the first signs. A secret shorter than 32 bytes keeps
///   verifying; one in first place signs only with `sign_with_short_secret`;
/// - the record (with `ExpressCodec`, in `session-stores`) holds the cookie fields express
///   writes for these options, in its order.
///
/// The fields default to express's defaults (`resave` and `saveUninitialized` `true`,
/// `unset` `"keep"`), so a struct literal with `..Default::default()` reads like the
/// JavaScript call:
///
/// ```
/// use std::time::Duration;
/// use session_core::{Config, ExpressCookie, ExpressOptions, SameSite};
/// // session({ secret: [..], resave: false, saveUninitialized: false,
/// //           cookie: { maxAge: 3600000, sameSite: 'strict' } })
/// let config = Config::express(ExpressOptions {
///     secret: vec!["a strong secret of at least 32 bytes.".into(), "keyboard cat".into()],
///     resave: false,
///     save_uninitialized: false,
///     cookie: ExpressCookie {
///         max_age: Some(Duration::from_secs(3600)),
///         same_site: Some(SameSite::Strict),
///         ..ExpressCookie::default()
///     },
///     ..ExpressOptions::default()
/// })?;
/// assert_eq!(config.cookie_name(), "connect.sid");
/// # Ok::<(), session_core::ConfigError>(())
/// ```
///
/// One difference, on purpose: [`Session::destroy`](crate::Session::destroy) also clears the
/// cookie, where express sends no `Set-Cookie` and leaves the browser holding the dead id.
///
/// Not taken: `cookie.expires` (express's documentation says to set `maxAge` instead),
/// `cookie.priority`, `sameSite: 'auto'`, `genid` and `store` (the store is the manager's:
/// `ConnectRedisStore` or `ConnectPgStore` beside `ExpressCodec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpressOptions {
    /// The cookie's name. Default `connect.sid`.
    pub name: String,
    /// The secrets, the first signs and every one verifies (express's `secret`, as a list).
    pub secret: Vec<String>,
    /// The cookie's options (express's `cookie`).
    pub cookie: ExpressCookie,
    /// Re-send the cookie (and push its expiry) on every response. Default `false`.
    pub rolling: bool,
    /// Save the session back on every request, changed or not. Default `true` (express's
    /// default, which it asks you to choose explicitly).
    pub resave: bool,
    /// Save (and send a cookie for) a new session nothing was written to. Default `true`,
    /// express's default; `false` is what a login site wants.
    pub save_uninitialized: bool,
    /// What clearing the session does (express's `unset`): `Keep` (default) or `Destroy`.
    pub unset: Unset,
    /// express's `proxy`: `Some(true)` believes `X-Forwarded-Proto` from any peer, as express
    /// does (the peer's address need not be known); `None` and `Some(false)` believe it from
    /// no one (express's `None` defers to the app's `trust proxy`, which by default trusts
    /// none; name the proxies with [`ConfigBuilder::trusted_proxy`] after the preset instead).
    pub proxy: Option<bool>,
    /// Lets a first secret shorter than 32 bytes sign new cookies, while the express app
    /// cannot take a new secret yet. Not an express option: the explicit opt-in to signing
    /// with a weak key. Default `false`, and then such a secret is refused when the
    /// configuration is built.
    pub sign_with_short_secret: bool,
}

impl Default for ExpressOptions {
    fn default() -> Self {
        Self {
            name: "connect.sid".into(),
            secret: Vec::new(),
            cookie: ExpressCookie::default(),
            rolling: false,
            resave: true,
            save_uninitialized: true,
            unset: Unset::Keep,
            proxy: None,
            sign_with_short_secret: false,
        }
    }
}

/// express-session's `cookie` options. `None` is an option left out, which express then
/// neither sends nor writes into the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpressCookie {
    /// `maxAge`: `None` makes a browser-session cookie (express's default).
    pub max_age: Option<Duration>,
    /// `secure`: `Some(Always)` is `true`, `Some(Never)` is `false`, `Some(Auto)` is
    /// `'auto'` (`Secure` when the request came over TLS or, with `proxy`, a forwarded
    /// https); `None` leaves it out.
    pub secure: Option<Secure>,
    /// `sameSite` (`true` in express is `Strict`); `None` leaves it out.
    pub same_site: Option<SameSite>,
    /// `httpOnly`. Default `true`.
    pub http_only: bool,
    /// `domain`; `None` leaves it out.
    pub domain: Option<String>,
    /// `path`. Default `/`.
    pub path: String,
    /// `partitioned`; `None` leaves it out.
    pub partitioned: Option<bool>,
}

impl Default for ExpressCookie {
    fn default() -> Self {
        Self {
            max_age: None,
            secure: None,
            same_site: None,
            http_only: true,
            domain: None,
            path: "/".into(),
            partitioned: None,
        }
    }
}

impl ConfigBuilder {
    /// Sets everything [`ExpressOptions`] describes, replacing the secrets and settings
    /// added before; settings added after it apply on top (an idle timeout, a conflict
    /// policy).
    pub fn express_session(self, options: ExpressOptions) -> Self {
        let cookie = &options.cookie;
        let mut builder = Self {
            secrets: Vec::new(),
            legacy_signs: options.sign_with_short_secret,
            proxies: Vec::new(),
            ..self
        };
        for secret in &options.secret {
            builder = if secret.len() >= MIN_SECRET_BYTES {
                builder.secret(secret)
            } else {
                builder.legacy_secret(secret)
            };
        }
        let mut builder = builder
            .cookie_name(options.name.clone())
            .path(cookie.path.clone())
            .secure(cookie.secure.unwrap_or(Secure::Never))
            .http_only(cookie.http_only)
            .same_site(cookie.same_site)
            .partitioned(cookie.partitioned.unwrap_or(false))
            .max_age(cookie.max_age)
            .rolling(options.rolling)
            .resave(options.resave)
            .save_uninitialized(options.save_uninitialized)
            .unset(options.unset)
            // express touches the expiry on every request.
            .touch_threshold(Duration::ZERO)
            // express's cookie parser keeps the first cookie of a name.
            .duplicate_cookies(DuplicateCookies::FirstOnly);
        builder.config.domain = cookie.domain.clone();
        builder.config.express = Some(options.cookie);
        builder.config.trust_any_proxy = options.proxy == Some(true);
        builder
    }
}

impl Config {
    /// [`ConfigBuilder::express_session`], built: express-session's behaviour for these
    /// options (see [`ExpressOptions`]).
    pub fn express(options: ExpressOptions) -> Result<Config, super::ConfigError> {
        Config::builder().express_session(options).build()
    }

    /// The express cookie options this configuration was made from
    /// ([`Config::express`]), which the express record format writes; `None` otherwise.
    pub fn express_cookie(&self) -> Option<&ExpressCookie> {
        self.express.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConfigError;

    #[test]
    fn a_short_first_secret_signs_only_when_asked() {
        let options = ExpressOptions {
            secret: vec!["keyboard cat".into()],
            ..ExpressOptions::default()
        };
        let refused = Config::express(options.clone()).unwrap_err();
        assert_eq!(refused, ConfigError::LegacySecretSigns);
        assert!(refused.to_string().contains("sign_with_short_secret"));
        let config = Config::express(ExpressOptions {
            sign_with_short_secret: true,
            ..options
        })
        .unwrap();
        assert_eq!(config.keyring().len(), 1);
    }

    #[test]
    fn express_options_map_to_the_configuration() {
        let config = Config::express(ExpressOptions {
            name: "sid".into(),
            secret: vec!["0123456789abcdef0123456789abcdef".into(), "old".into()],
            proxy: Some(true),
            cookie: ExpressCookie {
                secure: Some(Secure::Auto),
                same_site: Some(SameSite::Strict),
                domain: Some("example.com".into()),
                ..ExpressCookie::default()
            },
            ..ExpressOptions::default()
        })
        .unwrap();
        assert_eq!(config.cookie_name(), "sid");
        assert_eq!(config.keyring().len(), 2);
        assert_eq!(config.secure(), Secure::Auto);
        assert_eq!(config.domain(), Some("example.com"));
        assert_eq!(config.duplicate_cookies(), DuplicateCookies::FirstOnly);
        assert_eq!(config.unset(), Unset::Keep);
        assert!(config.resave() && config.save_uninitialized());
        assert!(config.trust_any_proxy);
        assert_eq!(
            config.touch_threshold(Duration::from_secs(3600)),
            Duration::ZERO
        );
        assert_eq!(
            config.express_cookie().and_then(|c| c.same_site),
            Some(SameSite::Strict)
        );
    }

    #[test]
    fn settings_after_the_preset_apply_on_top() {
        let config = Config::builder()
            .secret("this secret is replaced by the preset's ones")
            .express_session(ExpressOptions {
                secret: vec!["0123456789abcdef0123456789abcdef".into()],
                ..ExpressOptions::default()
            })
            .idle_timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        assert_eq!(config.keyring().len(), 1);
        assert_eq!(config.idle_timeout(), Some(Duration::from_secs(60)));
    }
}
