//! Login and logout, with the session bound to the user's credential: Django's session auth
//! hash. At login the session keeps a MAC of a hash the application derives from the user's
//! credential (its password hash, say); on every later load it is compared, in constant time,
//! with the MAC of the application's current hash for that user. Once the credential changes,
//! every session made with the old one ends at its next request, with no sweep.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::SessionError;
use crate::session::Session;
use crate::stateless::StatelessKeys;
use crate::store::StoreError;

/// The session key the MAC of the user's auth hash is kept under.
pub const AUTH_KEY: &str = "_auth";

/// The label the MAC's key is derived with from each secret (see [`StatelessKeys`]).
const KEY_LABEL: &str = "session-core/auth-hash/v1";

type LookupFuture = Pin<Box<dyn Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send>>;

/// The application's lookup of a user's current auth hash (see
/// [`SessionManagerBuilder::auth_hash`](crate::SessionManagerBuilder::auth_hash)):
/// `Ok(None)` for a user that no longer exists, an error when it cannot tell (its database
/// is down: the request gets a 503, and the session is kept).
#[derive(Clone)]
pub struct AuthHashLookup {
    lookup: Arc<dyn Fn(String) -> LookupFuture + Send + Sync>,
    keys: StatelessKeys,
}

impl std::fmt::Debug for AuthHashLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthHashLookup").finish_non_exhaustive()
    }
}

impl AuthHashLookup {
    pub(crate) fn new<F, Fut>(lookup: F, keys: StatelessKeys) -> Self
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send + 'static,
    {
        Self {
            lookup: Arc::new(move |user| Box::pin(lookup(user))),
            keys,
        }
    }

    /// The MAC kept for `hash`, under the newest secret.
    pub(crate) fn mac(keys: &StatelessKeys, hash: &[u8]) -> Option<String> {
        let key = keys.derived(KEY_LABEL).next()?;
        Some(URL_SAFE_NO_PAD.encode(mac_of(&key, hash)))
    }

    /// Whether the session of `user` that keeps `kept` still holds: the user's current hash
    /// gives the same MAC under one of the secrets (so rotating secrets logs nobody out).
    pub(crate) async fn holds(&self, user: &str, kept: &str) -> Result<bool, StoreError> {
        let Some(current) = (self.lookup)(user.to_owned()).await? else {
            return Ok(false);
        };
        let mut kept_mac = [0u8; 32];
        if URL_SAFE_NO_PAD.decode_slice(kept, &mut kept_mac) != Ok(32) {
            return Ok(false);
        }
        Ok(self
            .keys
            .derived(KEY_LABEL)
            .any(|key| crate::signing::macs_equal(&mac_of(&key, &current), &kept_mac)))
    }
}

fn mac_of(key: &[u8; 32], hash: &[u8]) -> [u8; 32] {
    use hmac::Mac;
    let mut mac = crate::signing::hmac_sha256(key);
    mac.update(hash);
    mac.finalize().into_bytes().into()
}

impl Session {
    /// Logs `user` in: a new session id (against fixation), a new CSRF secret, the session
    /// bound to the user (see [`Session::set_user`]) and to `auth_hash`, a value the
    /// application derives from the user's credential (its password hash, or a counter it
    /// bumps on a password change). With
    /// [`SessionManagerBuilder::auth_hash`](crate::SessionManagerBuilder::auth_hash)
    /// configured, a later request on this session whose user's hash has changed finds the
    /// session ended. The data stays, as after [`Session::regenerate`].
    ///
    /// ```
    /// # async fn run(session: session_core::Session, password_hash: &str) -> Result<(), session_core::SessionError> {
    /// session.login("ann", password_hash.as_bytes()).await?;
    /// assert_eq!(session.user().await?.as_deref(), Some("ann"));
    /// # Ok(()) }
    /// ```
    pub async fn login(&self, user: &str, auth_hash: &[u8]) -> Result<(), SessionError> {
        let keys = self.manager().config().stateless_keys().ok();
        let mac = keys.and_then(|keys| AuthHashLookup::mac(&keys, auth_hash));
        self.regenerate().await?;
        self.rotate_csrf().await?;
        self.set_user(Some(user)).await?;
        match mac {
            Some(mac) => self.insert(AUTH_KEY, mac).await,
            None => self.remove(AUTH_KEY).await.map(drop),
        }
    }

    /// Logs out, as Django's `flush` does: the data, the user binding and the session's own
    /// lifetime ("remember me") are dropped and the stored session is deleted. What the handler writes afterwards (a flash message saying
    /// goodbye) goes into a new session with a new id; if it writes nothing, the cookie is
    /// cleared.
    ///
    /// ```
    /// # async fn run(session: session_core::Session) -> Result<(), session_core::SessionError> {
    /// session.logout().await?;
    /// session.flash(session_core::FlashLevel::Info, "Logged out").await?;
    /// # Ok(()) }
    /// ```
    pub async fn logout(&self) -> Result<(), SessionError> {
        self.clear().await?;
        self.set_user(None).await?;
        self.regenerate().await?;
        // "Remember me" was the logged-in session's: a new one gets the configured lifetime.
        let mut state = self.writable().await?;
        if state.max_age.take().is_some() {
            state.max_age_changed = true;
        }
        Ok(())
    }
}
