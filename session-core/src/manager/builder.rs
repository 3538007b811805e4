//! [`SessionManagerBuilder`]: one way to put a configuration, a store or a stateless format,
//! and a codec together.

use std::future::Future;
use std::sync::Arc;

use super::{Backend, SessionManager};
use crate::config::{Config, ConfigError};
use crate::kit::AuthHashLookup;
use crate::record::{Codec, JsonCodec};
use crate::stateless::{StatelessKeys, TokenFormat};
use crate::store::{DynStore, Store, StoreError};

/// Builds a [`SessionManager`]; start with [`SessionManager::builder`].
///
/// Server-side sessions take a [`Store`] (and optionally a [`Codec`]); stateless sessions
/// take a [`TokenFormat`] made from the configuration's own secrets, and optionally a store
/// that remembers revoked tokens.
///
/// ```
/// use session_core::{Config, JwtFormat, SessionManager};
/// # #[derive(Clone)] struct MyStore;
/// # impl session_core::Store for MyStore {
/// #   async fn load(&self, _: &session_core::SessionId, _: time::OffsetDateTime) -> Result<Option<session_core::Record>, session_core::StoreError> { Ok(None) }
/// #   async fn create(&self, _: &session_core::SessionId, _: &session_core::Record) -> Result<(), session_core::StoreError> { Ok(()) }
/// #   async fn save(&self, _: &session_core::SessionId, _: &session_core::Record, _: u64) -> Result<(), session_core::StoreError> { Ok(()) }
/// #   async fn touch(&self, _: &session_core::SessionId, _: time::OffsetDateTime) -> Result<(), session_core::StoreError> { Ok(()) }
/// #   async fn delete(&self, _: &session_core::SessionId) -> Result<(), session_core::StoreError> { Ok(()) }
/// # }
/// let config = Config::builder().secret("0123456789abcdef0123456789abcdef").build()?;
///
/// // Server-side sessions in a store.
/// let manager = SessionManager::builder(config.clone()).store(MyStore).build()?;
/// assert!(manager.store().is_some());
///
/// // Stateless JWTs keyed from the same secrets, with revoked tokens remembered in a store.
/// let manager = SessionManager::builder(config)
///     .stateless(JwtFormat::new)
///     .revocations(MyStore)
///     .build()?;
/// assert!(manager.store().is_none());
/// # Ok::<(), session_core::ConfigError>(())
/// ```
#[must_use]
pub struct SessionManagerBuilder {
    config: Config,
    store: Option<Arc<dyn DynStore>>,
    format: Option<Result<Arc<dyn TokenFormat>, ConfigError>>,
    revocations: Option<Arc<dyn DynStore>>,
    codec: Option<Arc<dyn Codec>>,
    auth: Option<Result<AuthHashLookup, ConfigError>>,
}

impl SessionManager {
    /// Starts a [`SessionManagerBuilder`] for `config`.
    pub fn builder(config: Config) -> SessionManagerBuilder {
        SessionManagerBuilder {
            config,
            store: None,
            format: None,
            revocations: None,
            codec: None,
            auth: None,
        }
    }
}

impl SessionManagerBuilder {
    /// Keeps sessions in `store`.
    pub fn store(mut self, store: impl Store) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Keeps sessions in a store shared with other managers.
    pub fn shared_store(mut self, store: Arc<dyn DynStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Encodes records with `codec` instead of the default [`JsonCodec`].
    pub fn codec(mut self, codec: impl Codec) -> Self {
        self.codec = Some(Arc::new(codec));
        self
    }

    /// Encodes records with the codec `make` builds from the configuration (a codec that
    /// writes cookie fields, such as express-session's, reads them there).
    pub fn codec_from<C: Codec>(self, make: impl FnOnce(&Config) -> C) -> Self {
        let codec = make(&self.config);
        self.codec(codec)
    }

    /// Carries the whole session in the credential, in the format `make` builds from the
    /// configuration's secrets ([`Config::stateless_keys`]): `JwtFormat::new`,
    /// `SignedFormat::new` or `EncryptedFormat::new`. Nothing is stored.
    pub fn stateless<F: TokenFormat>(mut self, make: impl FnOnce(StatelessKeys) -> F) -> Self {
        let format = self
            .config
            .stateless_keys()
            .map(|keys| Arc::new(make(keys)) as Arc<dyn TokenFormat>);
        self.format = Some(format);
        self
    }

    /// With [`SessionManagerBuilder::stateless`]: remembers destroyed sessions' ids in
    /// `store` until their tokens expire, and refuses those tokens meanwhile (one store call
    /// per load).
    pub fn revocations(mut self, store: impl Store) -> Self {
        self.revocations = Some(Arc::new(store));
        self
    }

    /// Checks every logged-in session against the user's current auth hash (see
    /// [`Session::login`](crate::Session::login)) when it loads: `lookup` gives the hash the
    /// application derives from the user's credential now (`Ok(None)` for a user that no
    /// longer exists). A session whose hash no longer matches is deleted and the request
    /// goes on with a new, empty session; a lookup error is the request's error (a 503 for
    /// [`StoreErrorKind::Unavailable`](crate::StoreErrorKind::Unavailable)). Needs a strong
    /// secret, from which the MAC's key is derived.
    ///
    /// ```
    /// use session_core::{Config, SessionManager};
    /// # #[derive(Clone)] struct Users;
    /// # impl Users { async fn password_hash(&self, _: &str) -> Option<String> { None } }
    /// # struct Store;
    /// # impl session_core::Store for Store {
    /// #   async fn load(&self, _: &session_core::SessionId, _: time::OffsetDateTime) -> Result<Option<session_core::Record>, session_core::StoreError> { Ok(None) }
    /// #   async fn create(&self, _: &session_core::SessionId, _: &session_core::Record) -> Result<(), session_core::StoreError> { Ok(()) }
    /// #   async fn save(&self, _: &session_core::SessionId, _: &session_core::Record, _: u64) -> Result<(), session_core::StoreError> { Ok(()) }
    /// #   async fn touch(&self, _: &session_core::SessionId, _: time::OffsetDateTime) -> Result<(), session_core::StoreError> { Ok(()) }
    /// #   async fn delete(&self, _: &session_core::SessionId) -> Result<(), session_core::StoreError> { Ok(()) }
    /// # }
    /// # fn store() -> Store { Store }
    /// let users = Users;
    /// let config = Config::builder().secret("0123456789abcdef0123456789abcdef").build()?;
    /// let manager = SessionManager::builder(config)
    ///     .store(store())
    ///     .auth_hash(move |user| {
    ///         let users = users.clone();
    ///         async move { Ok(users.password_hash(&user).await.map(String::into_bytes)) }
    ///     })
    ///     .build()?;
    /// # Ok::<(), session_core::ConfigError>(())
    /// ```
    pub fn auth_hash<F, Fut>(mut self, lookup: F) -> Self
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send + 'static,
    {
        let keys = self.config.stateless_keys();
        self.auth = Some(keys.map(|keys| AuthHashLookup::new(lookup, keys)));
        self
    }

    /// The manager, or what is missing or contradictory.
    pub fn build(self) -> Result<SessionManager, ConfigError> {
        let backend = match (self.store, self.format) {
            (Some(store), None) => {
                if self.revocations.is_some() {
                    return Err(ConfigError::Backend(
                        "a revocation list is for stateless sessions: a store's sessions are \
                         ended by deleting them; remove .revocations(..)",
                    ));
                }
                Backend::Store(store)
            }
            (None, Some(format)) => {
                if self.codec.is_some() {
                    return Err(ConfigError::Backend(
                        "stateless sessions are encoded by their token format, not a codec: \
                         remove .codec(..)",
                    ));
                }
                if self.auth.is_some() {
                    return Err(ConfigError::Backend(
                        "a token carries no user binding for .auth_hash(..) to check: keep \
                         sessions that must end on a password change in a store, or remove \
                         .auth_hash(..) and end tokens with .revocations(..)",
                    ));
                }
                Backend::Stateless {
                    format: format?,
                    revocations: self.revocations,
                }
            }
            (None, None) => {
                return Err(ConfigError::Backend(
                    "no place for the sessions: add .store(..) for server-side sessions or \
                     .stateless(..) for sessions carried in the token",
                ))
            }
            (Some(_), Some(_)) => {
                return Err(ConfigError::Backend(
                    "both a store and a stateless format: choose one (a store for revocations \
                     goes in .revocations(..))",
                ))
            }
        };
        let codec = self.codec.unwrap_or_else(|| Arc::new(JsonCodec));
        let auth = self.auth.transpose()?;
        Ok(SessionManager::with_backend(
            self.config,
            backend,
            codec,
            auth,
        ))
    }
}

impl std::fmt::Debug for SessionManagerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionManagerBuilder")
            .field("config", &self.config)
            .field("store", &self.store.is_some())
            .field("stateless", &self.format.is_some())
            .field("revocations", &self.revocations.is_some())
            .finish_non_exhaustive()
    }
}
