//! The driver: sequences the pure decisions around one store (or a stateless token format).
//! Runtime-agnostic.

#[cfg(feature = "http")]
mod http_headers;
mod load;
mod output;
mod stateless;
mod stored;
mod users;

use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

#[cfg(feature = "http")]
pub use http_headers::InvalidHeader;
pub use output::Outcome;
pub use users::UserSession;

use crate::config::Config;
use crate::decision::{self, Facts, Loaded};
use crate::error::SessionError;
use crate::record::{Codec, JsonCodec};
use crate::request::RequestView;
use crate::session::{Phase, Session, Shared, State};
use crate::stateless::TokenFormat;
use crate::store::{DynStore, Store};
use crate::transport;

/// Configuration + store (or stateless format) + codec, and the two calls an adapter makes
/// per request:
///
/// 1. [`SessionManager::begin`]: before the handler, with the request head and `now`. No IO
///    and no cryptography yet.
/// 2. [`SessionManager::finish`]: after the handler, with the response status and `now`.
///    Applies at most one store operation (store first), then returns the headers to add.
///
/// Cheap to clone. Never reads the clock: adapters pass `now` from their clock.
#[derive(Clone)]
pub struct SessionManager {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    backend: Backend,
    codec: Arc<dyn Codec>,
}

enum Backend {
    /// Server-side sessions: the credential is a signed id.
    Store(Arc<dyn DynStore>),
    /// The whole session travels in the credential.
    Stateless {
        format: Arc<dyn TokenFormat>,
        revocations: Option<Arc<dyn DynStore>>,
    },
}

impl SessionManager {
    /// Server-side sessions in `store`, with the default [`JsonCodec`].
    pub fn new(config: Config, store: impl Store) -> Self {
        Self::from_parts(config, Arc::new(store), Arc::new(JsonCodec))
    }

    /// Server-side sessions in a shared store, with a chosen codec.
    pub fn from_parts(config: Config, store: Arc<dyn DynStore>, codec: Arc<dyn Codec>) -> Self {
        Self::with_backend(config, Backend::Store(store), codec)
    }

    /// Stateless sessions: the whole session travels in the cookie (or header) in `format`;
    /// nothing is stored. See [`crate::stateless`].
    ///
    /// ```
    /// use session_core::{Config, JwtFormat, SessionManager, StatelessKeys};
    /// let keys = StatelessKeys::new(["0123456789abcdef0123456789abcdef"]).unwrap();
    /// let config = Config::builder().secret("0123456789abcdef0123456789abcdef").build().unwrap();
    /// let manager = SessionManager::stateless(config, JwtFormat::new(keys));
    /// assert!(manager.store().is_none());
    /// ```
    pub fn stateless(config: Config, format: impl TokenFormat) -> Self {
        let backend = Backend::Stateless {
            format: Arc::new(format),
            revocations: None,
        };
        Self::with_backend(config, backend, Arc::new(JsonCodec))
    }

    /// Stateless sessions whose destroyed ids are remembered in `revocations` until their
    /// tokens expire, and refused meanwhile (one store call per load).
    pub fn stateless_with_revocations(
        config: Config,
        format: impl TokenFormat,
        revocations: impl Store,
    ) -> Self {
        let backend = Backend::Stateless {
            format: Arc::new(format),
            revocations: Some(Arc::new(revocations)),
        };
        Self::with_backend(config, backend, Arc::new(JsonCodec))
    }

    fn with_backend(config: Config, backend: Backend, codec: Arc<dyn Codec>) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                backend,
                codec,
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The store, for server-side sessions.
    pub fn store(&self) -> Option<&Arc<dyn DynStore>> {
        match &self.inner.backend {
            Backend::Store(store) => Some(store),
            Backend::Stateless { .. } => None,
        }
    }

    /// The codec records are encoded with.
    pub fn codec(&self) -> &Arc<dyn Codec> {
        &self.inner.codec
    }

    /// Phase 1: collects the request's credentials (cookies and/or token header) and whether
    /// the cookie will be `Secure`. No IO, no HMAC yet: that waits until the session is used.
    pub fn begin(&self, request: &impl RequestView, now: OffsetDateTime) -> Session {
        let config = &self.inner.config;
        Session {
            shared: Arc::new(Shared {
                manager: self.clone(),
                now,
                secure: transport::is_secure(config, request),
                candidates: transport::candidates(config, request),
                state: Mutex::new(State::new(now)),
            }),
        }
    }

    /// Phase 2: decides and applies the store operation, then returns the headers to send.
    ///
    /// `status` is the response's HTTP status: on a 5xx nothing is saved. On error nothing
    /// was half-written; the adapter answers with [`SessionError::status`].
    pub async fn finish(
        &self,
        session: Session,
        status: u16,
        now: OffsetDateTime,
    ) -> Result<Outcome, SessionError> {
        let config = &self.inner.config;
        let mut state = {
            let mut guard = session.lock();
            if !guard.needs_finish() {
                return Ok(Outcome::default());
            }
            std::mem::replace(&mut *guard, State::new(now))
        };
        self.verified(&session, &mut state);
        let verified = state.verified.take().flatten();
        let expires_at = decision::store_expiry(config, state.created_at, state.max_age, now);
        let facts = Facts {
            loaded: match state.phase {
                Phase::NotLoaded => Loaded::NotLoaded,
                Phase::Absent => Loaded::Absent,
                Phase::Present { .. } => Loaded::Present,
            },
            had_cookie: verified.is_some(),
            resign: verified.as_ref().is_some_and(|(_, key)| *key > 0),
            modified: state.modified,
            empty: state.data.is_empty(),
            regenerated: state.regenerated,
            destroyed: state.destroyed,
            server_error: status >= 500,
            touch_due: match state.phase {
                Phase::Present {
                    expires_at: stored, ..
                } => decision::touch_due(config, state.max_age, stored, expires_at),
                _ => false,
            },
            persistent_cookie: config.cookie_max_age(state.max_age).is_some(),
            max_age_changed: state.max_age_changed,
        };
        let plan = decision::decide(config, &facts);
        let old_id = verified.map(|(id, _)| id);
        let (id, cookie) = match &self.inner.backend {
            Backend::Store(store) => {
                self.apply_to_store(store.as_ref(), plan, &mut state, old_id, expires_at, now)
                    .await?
            }
            Backend::Stateless { revocations, .. } => {
                self.apply_stateless(revocations.as_deref(), plan, &mut state, old_id, expires_at)
                    .await?
            }
        };
        self.outcome(cookie, id.as_ref(), &state, session.shared.secure, now)
    }
}

impl std::fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionManager")
            .field("config", &self.inner.config)
            .field(
                "backend",
                &match self.inner.backend {
                    Backend::Store(_) => "store",
                    Backend::Stateless { .. } => "stateless",
                },
            )
            .finish_non_exhaustive()
    }
}
