//! The driver: sequences the pure decisions around one store (or a stateless token format).
//! Runtime-agnostic.

mod builder;
mod finish;
#[cfg(feature = "http")]
mod http_headers;
mod load;
mod output;
mod stateless;
mod store_calls;
mod stored;
mod turns;
mod users;

use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

pub use builder::SessionManagerBuilder;
pub use finish::Finish;
#[cfg(feature = "http")]
pub use http_headers::InvalidHeader;
pub use output::Outcome;
pub(crate) use turns::Turn;
use turns::Turns;
pub use users::UserSession;

use crate::config::{Config, SessionTurns};
use crate::id::SessionId;
use crate::kit::AuthHashLookup;
use crate::observe::{Fingerprint, FingerprintKey, Instruments};
use crate::record::{Codec, JsonCodec};
use crate::request::RequestView;
use crate::session::{Session, Shared, State};
use crate::stateless::TokenFormat;
use crate::store::{DynStore, Store};
use crate::transport::{self, Candidates};

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
    /// The application's auth-hash lookup, checked on every load of a logged-in session.
    auth: Option<AuthHashLookup>,
    /// Names sessions in logs and traces.
    fingerprints: FingerprintKey,
    /// Times and counts store calls and what `finish` did.
    instruments: Instruments,
    /// Where requests of one session take turns; `None` when they do not.
    turns: Option<Arc<Turns>>,
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
        Self::with_backend(config, Backend::Store(store), codec, None)
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
        Self::with_backend(config, backend, Arc::new(JsonCodec), None)
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
        Self::with_backend(config, backend, Arc::new(JsonCodec), None)
    }

    fn with_backend(
        config: Config,
        backend: Backend,
        codec: Arc<dyn Codec>,
        auth: Option<AuthHashLookup>,
    ) -> Self {
        let store_name = match &backend {
            Backend::Store(store) => store.backend_name(),
            Backend::Stateless {
                revocations: Some(list),
                ..
            } => list.backend_name(),
            Backend::Stateless { .. } => "none",
        };
        let turns = match (config.turns, &backend) {
            (SessionTurns::Always, Backend::Store(_)) => true,
            (SessionTurns::Auto, Backend::Store(store)) => store.immediate().is_none(),
            _ => false,
        };
        Self {
            inner: Arc::new(Inner {
                turns: turns.then(Arc::default),
                fingerprints: FingerprintKey::new(&config.keyring),
                config,
                backend,
                codec,
                auth,
                instruments: Instruments::new(store_name),
            }),
        }
    }

    /// How logs and traces name the session `id` (see [`Fingerprint`]): log this, never
    /// the id.
    ///
    /// ```
    /// use session_core::{Config, SessionId, SessionManager};
    /// # let config = Config::builder().secret("0123456789abcdef0123456789abcdef").build().unwrap();
    /// # let manager = SessionManager::stateless(config, session_core::JwtFormat::new(session_core::StatelessKeys::new(["0123456789abcdef0123456789abcdef"]).unwrap()));
    /// let id = SessionId::generate().unwrap();
    /// let name = manager.fingerprint(&id).to_string();
    /// assert_eq!(name.len(), 12);
    /// assert!(!id.as_str().contains(&name));
    /// ```
    pub fn fingerprint<'a>(&'a self, id: &'a SessionId) -> Fingerprint<'a> {
        self.inner.fingerprints.of(id)
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

    /// The token format, for stateless sessions.
    pub(crate) fn token_format(&self) -> Option<&dyn TokenFormat> {
        match &self.inner.backend {
            Backend::Store(_) => None,
            Backend::Stateless { format, .. } => Some(format.as_ref()),
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
        // Made empty and filled in place: building the ~600-byte handle on the stack and
        // moving it into its `Arc` cost four copies (callgrind).
        let mut shared = Arc::new(Shared {
            manager: self.clone(),
            now,
            loading: futures_util::lock::Mutex::new(()),
            secure: transport::is_secure(config, request),
            cookie_withheld: transport::cookie_withheld(config, request),
            candidates: Candidates::default(),
            state: Mutex::new(State::new(now)),
        });
        // A handle just made has no other owner, so this always fills it.
        if let Some(fresh) = Arc::get_mut(&mut shared) {
            transport::collect_candidates(config, request, &mut fresh.candidates);
        }
        Session { shared }
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
