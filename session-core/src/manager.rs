//! The driver: sequences the pure decisions around one store. Runtime-agnostic.

use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

use crate::config::{Config, ConflictPolicy, DuplicateCookies, Secure};
use crate::cookie_header::cookie_values;
use crate::decision::{self, CookieOp, Facts, Loaded, StoreOp};
use crate::encoding::encode_uri_component_into;
use crate::error::SessionError;
use crate::id::SessionId;
use crate::merge::{merge, Merged};
use crate::record::{Codec, JsonCodec, Record, SessionState};
use crate::request::RequestView;
use crate::session::{Candidates, Phase, Session, Shared, State};
use crate::set_cookie::SetCookie;
use crate::store::{DynStore, Store, StoreErrorKind};

/// At most this many cookies with the session's name are verified per request, so that a
/// header stuffed with copies cannot buy many HMAC computations.
const MAX_CANDIDATES: usize = 8;

/// How often `create` retries with a fresh id when the id is taken (a 192-bit collision:
/// in practice a store that answers `DuplicateId` wrongly).
const CREATE_ATTEMPTS: usize = 3;

/// Configuration + store + codec, and the two calls an adapter makes per request.
///
/// 1. [`SessionManager::begin`]: before the handler, with the request head and `now`. No IO.
/// 2. [`SessionManager::finish`]: after the handler, with the response status and `now`.
///    Applies at most one store operation (store first), then returns the `Set-Cookie`.
///
/// Cheap to clone. Never reads the clock: adapters pass `now` from their clock.
#[derive(Clone)]
pub struct SessionManager {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    store: Arc<dyn DynStore>,
    codec: Arc<dyn Codec>,
}

/// What the adapter must add to the response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct Outcome {
    set_cookie: Option<String>,
}

impl Outcome {
    /// The `Set-Cookie` header value to append, if any.
    pub fn set_cookie(&self) -> Option<&str> {
        self.set_cookie.as_deref()
    }
    /// Takes the `Set-Cookie` header value.
    pub fn into_set_cookie(self) -> Option<String> {
        self.set_cookie
    }
}

impl SessionManager {
    /// A manager with the default [`JsonCodec`].
    pub fn new(config: Config, store: impl Store) -> Self {
        Self::from_parts(config, Arc::new(store), Arc::new(JsonCodec))
    }

    /// A manager from a shared store and codec.
    pub fn from_parts(config: Config, store: Arc<dyn DynStore>, codec: Arc<dyn Codec>) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                store,
                codec,
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn DynStore> {
        &self.inner.store
    }

    /// The codec.
    pub fn codec(&self) -> &Arc<dyn Codec> {
        &self.inner.codec
    }

    /// Phase 1: reads the session cookie candidates and the transport's security. No IO, no
    /// HMAC yet (that waits until the session is used).
    pub fn begin(&self, request: &impl RequestView, now: OffsetDateTime) -> Session {
        let config = &self.inner.config;
        let mut candidates = Candidates::default();
        let mut seen = 0;
        'headers: for header in request.cookie_headers() {
            for value in cookie_values(header, &config.name) {
                seen += 1;
                // An oversized value is ignored: the visitor gets a new session.
                if value.len() <= config.max_cookie_bytes {
                    candidates.push(value.into_owned());
                }
                if config.duplicate_cookies == DuplicateCookies::FirstOnly || seen == MAX_CANDIDATES
                {
                    break 'headers;
                }
            }
        }
        Session {
            shared: Arc::new(Shared {
                manager: self.clone(),
                now,
                secure: self.is_secure(request),
                candidates,
                state: Mutex::new(State::new(now)),
            }),
        }
    }

    fn is_secure(&self, request: &impl RequestView) -> bool {
        match self.inner.config.secure {
            Secure::Always => true,
            Secure::Never => false,
            Secure::Auto => {
                request.is_tls()
                    || (request
                        .peer_ip()
                        .is_some_and(|ip| self.inner.config.trusts_proxy(ip))
                        && request
                            .header("x-forwarded-proto")
                            .and_then(|v| v.split(|&b| b == b',').next())
                            .is_some_and(|proto| proto.trim_ascii().eq_ignore_ascii_case(b"https")))
            }
        }
    }

    fn verify(&self, candidates: &Candidates) -> Option<(SessionId, usize)> {
        candidates.iter().find_map(|value| {
            let verified = self.inner.config.keyring.unsign(value)?;
            Some((SessionId::parse(verified.id)?, verified.key_index))
        })
    }

    fn verified(&self, session: &Session, state: &mut State) -> Option<(SessionId, usize)> {
        if state.verified.is_none() {
            state.verified = Some(self.verify(&session.shared.candidates));
        }
        state.verified.clone().flatten()
    }

    /// Loads the session on first use.
    pub(crate) async fn ensure_loaded(&self, session: &Session) -> Result<(), SessionError> {
        let now = session.shared.now;
        let id = {
            let mut state = session.lock();
            if state.phase != Phase::NotLoaded {
                return Ok(());
            }
            match self.verified(session, &mut state) {
                Some((id, _)) if !state.destroyed => id,
                _ => {
                    state.phase = Phase::Absent;
                    return Ok(());
                }
            }
        };
        let record = self.inner.store.load(&id, now).await?;
        let mut state = session.lock();
        if state.phase != Phase::NotLoaded {
            return Ok(()); // a concurrent call on a clone of this handle loaded it first
        }
        state.phase = Phase::Absent;
        let Some(record) = record else { return Ok(()) };
        // Undecodable data is a new session, not an error: the visitor starts over.
        let Ok(loaded) = self.inner.codec.decode(&record.payload) else {
            return Ok(());
        };
        if decision::is_live(
            &self.inner.config,
            record.expires_at,
            loaded.created_at,
            now,
        ) {
            state.phase = Phase::Present {
                version: record.version,
                expires_at: record.expires_at,
            };
            state.id = Some(id);
            state.data = loaded.data;
            state.created_at = loaded.created_at;
            state.max_age = loaded.max_age;
            state.loaded_payload = record.payload;
        }
        Ok(())
    }

    /// Phase 2: decides and applies the store operation, then returns the cookie to send.
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
        let mut state = std::mem::replace(&mut *session.lock(), State::new(now));
        if state.phase == Phase::NotLoaded && !state.destroyed {
            return Ok(Outcome::default());
        }
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
            persistent_cookie: state.max_age.or(config.max_age).is_some(),
        };
        let plan = decision::decide(config, &facts);
        let old_id = verified.map(|(id, _)| id);
        let mut cookie = plan.cookie;
        let id = match plan.store {
            StoreOp::None | StoreOp::Touch | StoreOp::Save => state.id.clone(),
            StoreOp::Create => Some(self.create(&mut state, expires_at).await?),
            StoreOp::Replace => {
                let new_id = self.create(&mut state, expires_at).await?;
                if let Some(old) = &old_id {
                    self.inner.store.delete(old).await?;
                }
                Some(new_id)
            }
            StoreOp::Delete => {
                if let Some(old) = &old_id {
                    self.inner.store.delete(old).await?;
                }
                None
            }
        };
        match (plan.store, &id) {
            (StoreOp::Touch, Some(id)) => self.inner.store.touch(id, expires_at).await?,
            // The record vanished (destroyed by another request): do not resurrect it.
            (StoreOp::Save, Some(id)) if !self.save(id, &mut state, expires_at, now).await? => {
                cookie = CookieOp::Clear;
            }
            _ => {}
        }
        Ok(Outcome {
            set_cookie: match (cookie, &id) {
                (CookieOp::Set, Some(id)) => {
                    Some(self.cookie_for(id, &state, session.shared.secure, now))
                }
                (CookieOp::Clear, _) => Some(self.clearing_cookie(session.shared.secure)),
                _ => None,
            },
        })
    }

    fn encode(
        &self,
        state: &State,
        expires_at: OffsetDateTime,
        version: u64,
    ) -> Result<Record, SessionError> {
        let snapshot = SessionState {
            data: state.data.clone(),
            created_at: state.created_at,
            max_age: state.max_age,
        };
        let payload = self.inner.codec.encode(&snapshot, expires_at)?;
        Ok(Record::new(payload, expires_at, version))
    }

    async fn create(
        &self,
        state: &mut State,
        expires_at: OffsetDateTime,
    ) -> Result<SessionId, SessionError> {
        let record = self.encode(state, expires_at, 1)?;
        let mut id = match state.id.take() {
            Some(id) => id,
            None => SessionId::generate()?,
        };
        for attempt in 1..=CREATE_ATTEMPTS {
            match self.inner.store.create(&id, &record).await {
                Ok(()) => break,
                Err(e) if e.kind() == StoreErrorKind::DuplicateId && attempt < CREATE_ATTEMPTS => {
                    id = SessionId::generate()?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        state.id = Some(id.clone());
        Ok(id)
    }

    /// Compare-and-set save under the configured conflict policy. `Ok(false)`: the record
    /// disappeared (destroyed or expired by another request) and was not resurrected.
    async fn save(
        &self,
        id: &SessionId,
        state: &mut State,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, SessionError> {
        let config = &self.inner.config;
        let Phase::Present { version, .. } = state.phase else {
            return Ok(false);
        };
        let mut expected = version;
        for _ in 0..=config.conflict_retries {
            let record = self.encode(state, expires_at, expected + 1)?;
            match self.inner.store.save(id, &record, expected).await {
                Ok(()) => return Ok(true),
                Err(e)
                    if matches!(
                        e.kind(),
                        StoreErrorKind::Conflict | StoreErrorKind::NotFound
                    ) => {}
                Err(e) => return Err(e.into()),
            }
            if config.conflict_policy == ConflictPolicy::Error {
                return Err(SessionError::Conflict);
            }
            let Some(fresh) = self.inner.store.load(id, now).await? else {
                return Ok(false);
            };
            let Ok(fresh_state) = self.inner.codec.decode(&fresh.payload) else {
                return Err(SessionError::Conflict);
            };
            expected = fresh.version;
            if config.conflict_policy == ConflictPolicy::LastWriteWins {
                continue;
            }
            let original = self
                .inner
                .codec
                .decode(&state.loaded_payload)
                .map_err(|_| SessionError::Conflict)?;
            match merge(&original, &fresh_state, state) {
                Merged::Conflict => return Err(SessionError::Conflict),
                Merged::Applied => state.loaded_payload = fresh.payload,
            }
        }
        Err(SessionError::Conflict)
    }

    fn cookie_for(
        &self,
        id: &SessionId,
        state: &State,
        secure: bool,
        now: OffsetDateTime,
    ) -> String {
        let config = &self.inner.config;
        let signed = config.keyring.sign(id.as_str());
        let mut value = String::with_capacity(signed.len() + 16);
        encode_uri_component_into(&signed, &mut value);
        let expiry = decision::cookie_expiry(config, state.created_at, state.max_age, now);
        self.attributes(&value, secure, expiry).render()
    }

    fn clearing_cookie(&self, secure: bool) -> String {
        let expiry = Some((std::time::Duration::ZERO, OffsetDateTime::UNIX_EPOCH));
        self.attributes("", secure, expiry).render()
    }

    fn attributes<'a>(
        &'a self,
        value: &'a str,
        secure: bool,
        expiry: Option<(std::time::Duration, OffsetDateTime)>,
    ) -> SetCookie<'a> {
        let config = &self.inner.config;
        SetCookie {
            name: &config.name,
            value,
            max_age: expiry.map(|(max_age, _)| max_age),
            domain: config.domain.as_deref(),
            path: Some(&config.path),
            expires: expiry.map(|(_, expires)| expires),
            http_only: config.http_only,
            secure,
            partitioned: config.partitioned,
            same_site: config.same_site,
        }
    }
}

impl std::fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionManager")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}
