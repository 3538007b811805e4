//! [`SessionManagerBuilder`]: one way to put a configuration, a store or a stateless format,
//! and a codec together.

use std::sync::Arc;

use super::{Backend, SessionManager};
use crate::config::{Config, ConfigError};
use crate::record::{Codec, JsonCodec};
use crate::stateless::{StatelessKeys, TokenFormat};
use crate::store::{DynStore, Store};

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
        Ok(SessionManager::with_backend(self.config, backend, codec))
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
