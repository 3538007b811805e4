//! The `Session` handle a request handler uses, the same in every framework.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use smallvec::SmallVec;
use time::OffsetDateTime;

use crate::error::SessionError;
use crate::id::SessionId;
use crate::manager::{SessionManager, Turn};
use crate::record::CodecError;
use crate::session_data::{serde_private_key, SessionData, SERDE_PRIVATE_KEY};
use crate::transport::Candidates;

/// One request's session. Cheap to clone (an `Arc`), `Send + Sync`, and usable across
/// `.await`. Adapters create it with [`SessionManager::begin`] and hand it to handlers.
///
/// It loads lazily: the store is called the first time a method needs the data, so a handler
/// that never touches the session costs no store call. Every method that may load is `async`
/// and returns the store's error if the store fails.
///
/// ```
/// # use session_core::{Config, SessionManager, HttpRequest};
/// # use time::macros::datetime;
/// # #[derive(Default)] struct NoStore;
/// # impl session_core::Store for NoStore {
/// #   async fn load(&self, _: &session_core::SessionId, _: time::OffsetDateTime) -> Result<Option<session_core::Record>, session_core::StoreError> { Ok(None) }
/// #   async fn create(&self, _: &session_core::SessionId, _: &session_core::Record) -> Result<(), session_core::StoreError> { Ok(()) }
/// #   async fn save(&self, _: &session_core::SessionId, _: &session_core::Record, _: u64) -> Result<(), session_core::StoreError> { Ok(()) }
/// #   async fn touch(&self, _: &session_core::SessionId, _: time::OffsetDateTime) -> Result<(), session_core::StoreError> { Ok(()) }
/// #   async fn delete(&self, _: &session_core::SessionId) -> Result<(), session_core::StoreError> { Ok(()) }
/// # }
/// # futures_util::FutureExt::now_or_never(async {
/// let config = Config::builder().secret("0123456789abcdef0123456789abcdef").build().unwrap();
/// let manager = SessionManager::new(config, NoStore);
/// let headers = http::HeaderMap::new();
/// let now = datetime!(2030-01-01 0:00 UTC);
/// let session = manager.begin(&HttpRequest { headers: &headers, peer: None, tls: true }, now);
///
/// let visits: u64 = session.get("visits").await.unwrap().unwrap_or(0);
/// session.insert("visits", visits + 1).await.unwrap();
/// assert_eq!(session.get::<u64>("visits").await.unwrap(), Some(1));
///
/// let outcome = manager.finish(session, 200, now).await.unwrap();
/// assert!(outcome.set_cookie().unwrap().starts_with("id=s%3A"));
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Session {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) manager: SessionManager,
    pub(crate) now: OffsetDateTime,
    pub(crate) secure: bool,
    /// No `Set-Cookie` may be sent (see `transport::cookie_withheld`).
    pub(crate) cookie_withheld: bool,
    /// One load at a time through this handle's clones, when sessions take turns: a clone
    /// that loads meanwhile waits for that load, not for the turn.
    pub(crate) loading: futures_util::lock::Mutex<()>,
    /// Values of cookies with the session's name, verified on first use.
    pub(crate) candidates: Candidates,
    pub(crate) state: Mutex<State>,
}

/// A key's fingerprint, for remembering which keys were read without copying their names.
/// A collision can only make a merge more cautious (a conflict instead of a merge), and keys
/// are the application's, not the client's, so FNV-1a does: SipHash cost more than the read.
pub(crate) fn key_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Where the handle is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    NotLoaded,
    Absent,
    Present {
        version: u64,
        expires_at: OffsetDateTime,
    },
}

pub(crate) struct State {
    pub(crate) phase: Phase,
    /// `Some` once the candidates were verified: the id and which key matched.
    pub(crate) verified: Option<Option<(SessionId, usize)>>,
    /// For a stateless token that opened: until when a revocation of its id must last, taken
    /// from the token itself (see [`SessionManager::revocation_end`]).
    pub(crate) revoke_until: Option<OffsetDateTime>,
    /// The id of the loaded record (Present) or the new id after `regenerate`.
    pub(crate) id: Option<SessionId>,
    /// The data, with the payload it was loaded from.
    pub(crate) data: SessionData,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) max_age: Option<Duration>,
    /// The user the session is bound to, kept in the record (not the payload).
    pub(crate) user: Option<String>,
    /// Whether this request called `set_user`, so a merge keeps its choice.
    pub(crate) user_changed: bool,
    /// Fingerprints of the keys read (see [`key_hash`]).
    /// Inline for the usual handful of keys: a read then costs no allocation.
    pub(crate) reads: SmallVec<[u64; 4]>,
    /// Fingerprints of the keys written or removed, kept as `reads` are: a write then
    /// allocates only the map's own key (its name here cost two allocations).
    pub(crate) writes: SmallVec<[u64; 4]>,
    pub(crate) cleared: bool,
    pub(crate) modified: bool,
    pub(crate) max_age_changed: bool,
    pub(crate) regenerated: bool,
    pub(crate) destroyed: bool,
    /// The request's `finish` has run: writes are refused (see [`SessionError::Finished`]).
    pub(crate) finished: bool,
    /// This request's turn at its session (see [`crate::SessionTurns`]), held from the load
    /// until `finish` has saved.
    pub(crate) turn: Option<Turn>,
}

impl State {
    pub(crate) fn new(now: OffsetDateTime) -> Self {
        Self {
            phase: Phase::NotLoaded,
            verified: None,
            revoke_until: None,
            id: None,
            data: SessionData::default(),
            created_at: now,
            max_age: None,
            user: None,
            user_changed: false,
            reads: SmallVec::new(),
            writes: SmallVec::new(),
            cleared: false,
            modified: false,
            max_age_changed: false,
            regenerated: false,
            destroyed: false,
            finished: false,
            turn: None,
        }
    }

    /// What a handle holds once `finish` has taken its state.
    pub(crate) fn finished(now: OffsetDateTime) -> Self {
        Self {
            finished: true,
            ..Self::new(now)
        }
    }

    /// See [`Session::needs_finish`].
    pub(crate) fn needs_finish(&self) -> bool {
        self.phase != Phase::NotLoaded || self.destroyed
    }

    /// Whether a use should load the session: not loaded yet, and not destroyed. A destroyed
    /// session is never loaded, so that it stays `NotLoaded` and `finish` still deletes the
    /// record (or revokes the token) its cookie names; "absent" would only clear the cookie.
    /// Exactly the handles that need no finish yet.
    pub(crate) fn needs_load(&self) -> bool {
        !self.needs_finish()
    }

    /// Runs `f` on the session as a codec or token format sees it, lending the data instead
    /// of copying it (a save would otherwise clone the whole map).
    pub(crate) fn with_snapshot<R>(
        &mut self,
        f: impl FnOnce(&crate::record::SessionState) -> R,
    ) -> Result<R, CodecError> {
        let snapshot = crate::record::SessionState {
            data: std::mem::take(self.data.map()?),
            created_at: self.created_at,
            max_age: self.max_age,
        };
        let result = f(&snapshot);
        *self.data.map()? = snapshot.data;
        Ok(result)
    }

    fn write(&mut self, key: &str, value: Option<Value>) -> Result<Option<Value>, CodecError> {
        if let Some(value) = &value {
            let private = if key.starts_with(SERDE_PRIVATE_KEY) {
                Some(key)
            } else {
                serde_private_key(value)
            };
            if let Some(private) = private {
                return Err(CodecError::new(format!(
                    "the key {private:?} is read specially by serde_json and would not load \
                     back as stored; rename it"
                )));
            }
        }
        let data = self.data.map()?;
        let old = match value {
            Some(v) => data.insert(key.to_owned(), v),
            None => data.remove(key),
        };
        if old.as_ref() != data.get(key) {
            self.modified = true;
        }
        let hash = key_hash(key);
        if !self.writes.contains(&hash) {
            self.writes.push(hash);
        }
        Ok(old)
    }
}

impl Session {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in another thread holding the lock leaves plain data behind, still usable.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn loaded(&self) -> Result<MutexGuard<'_, State>, SessionError> {
        self.loaded_to_read(None).await
    }

    /// [`Session::loaded`] for a change: refused once the request's `finish` has run, when
    /// the change could no longer be saved.
    pub(crate) async fn writable(&self) -> Result<MutexGuard<'_, State>, SessionError> {
        if self.lock().finished {
            return Err(SessionError::Finished);
        }
        let state = self.loaded().await?;
        if state.finished {
            return Err(SessionError::Finished);
        }
        Ok(state)
    }

    /// [`Session::loaded`] for a read of `key`, which a lazy load can decode in its check.
    async fn loaded_to_read(
        &self,
        key: Option<&str>,
    ) -> Result<MutexGuard<'_, State>, SessionError> {
        self.shared.manager.ensure_loaded(self, key).await?;
        Ok(self.lock())
    }

    /// The manager this session belongs to: its configuration, its store, and the calls that
    /// act on other sessions ([`SessionManager::revoke_owned`], [`SessionManager::user_sessions`]).
    pub fn manager(&self) -> &SessionManager {
        &self.shared.manager
    }

    /// The value under `key`, deserialised, or `None` when absent.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        let mut state = self.loaded_to_read(Some(key)).await?;
        let hash = key_hash(key);
        if !state.reads.contains(&hash) {
            state.reads.push(hash);
        }
        state.data.get(key)
    }

    /// Stores `value` under `key`. Writing the value already there changes nothing. A key the
    /// stateless token format cannot carry ([`crate::TokenFormat::check_key`]) fails here, as
    /// [`SessionError::RefusedKey`], and nothing is written.
    pub async fn insert<T: Serialize>(&self, key: &str, value: T) -> Result<(), SessionError> {
        let value = serde_json::to_value(value).map_err(CodecError::new)?;
        if let Some(format) = self.shared.manager.token_format() {
            format.check_key(key, &value)?;
        }
        self.writable().await?.write(key, Some(value))?;
        Ok(())
    }

    /// Removes `key`, returning its raw value.
    pub async fn remove(&self, key: &str) -> Result<Option<Value>, SessionError> {
        Ok(self.writable().await?.write(key, None)?)
    }

    /// Removes every key. With [`crate::Unset::Destroy`] (the default) an emptied session is
    /// destroyed at the end of the request.
    pub async fn clear(&self) -> Result<(), SessionError> {
        let mut state = self.writable().await?;
        if !state.data.is_empty() {
            state.data.clear();
            state.cleared = true;
            state.modified = true;
        }
        Ok(())
    }

    /// Whether the session holds no data.
    pub async fn is_empty(&self) -> Result<bool, SessionError> {
        Ok(self.loaded().await?.data.is_empty())
    }

    /// The keys the session holds.
    pub async fn keys(&self) -> Result<Vec<String>, SessionError> {
        Ok(self.loaded().await?.data.map()?.keys().cloned().collect())
    }

    /// Gives the session a new id, keeping its data, and deletes the old record: call it on
    /// login and on any privilege change, against session fixation. With
    /// [`Config::express`](crate::Config::express) it also drops the data, as express's
    /// `req.session.regenerate` starts an empty session.
    pub async fn regenerate(&self) -> Result<(), SessionError> {
        let empties = self.shared.manager.config().express.is_some();
        let mut state = self.writable().await?;
        state.id = Some(SessionId::generate()?);
        state.regenerated = true;
        if empties && !state.data.is_empty() {
            state.data.clear();
            state.cleared = true;
            state.modified = true;
        }
        Ok(())
    }

    /// Ends the session: the record is deleted and the cookie cleared. Needs no load. After
    /// the request's `finish` it has no effect (there is no response left to clear the cookie
    /// in): end a session from a background task with [`SessionManager::revoke`].
    pub fn destroy(&self) {
        let mut state = self.lock();
        state.destroyed = true;
        state.data.clear();
    }

    /// Sets this session's own cookie lifetime, replacing the configured max-age (and idle
    /// timeout) for it: `Some(30 days)` is "remember me"; `None` makes the cookie a
    /// browser-session cookie, whatever the configuration says. The cookie is re-sent.
    pub async fn set_max_age(&self, max_age: Option<Duration>) -> Result<(), SessionError> {
        let mut state = self.writable().await?;
        // Zero is how a browser-session choice is stored (see `SessionState::max_age`).
        let max_age = Some(max_age.filter(|d| !d.is_zero()).unwrap_or(Duration::ZERO));
        if state.max_age != max_age {
            state.max_age = max_age;
            state.modified = true;
            state.max_age_changed = true;
        }
        Ok(())
    }

    /// Binds the session to a user id (at login; `None` at logout), so that the user's
    /// sessions can be listed and revoked with [`SessionManager::user_sessions`] and
    /// [`SessionManager::revoke_user`]. The binding is saved with the session.
    ///
    /// ```
    /// # async fn run(session: session_core::Session) -> Result<(), session_core::SessionError> {
    /// session.regenerate().await?;
    /// session.set_user(Some("ann")).await?;
    /// assert_eq!(session.user().await?.as_deref(), Some("ann"));
    /// # Ok(()) }
    /// ```
    pub async fn set_user(&self, user: Option<&str>) -> Result<(), SessionError> {
        let mut state = self.writable().await?;
        if state.user.as_deref() != user {
            state.user = user.map(str::to_owned);
            state.user_changed = true;
            state.modified = true;
        }
        Ok(())
    }

    /// The user this session is bound to, if any (see [`Session::set_user`]).
    ///
    /// ```
    /// # async fn run(session: session_core::Session) -> Result<(), session_core::SessionError> {
    /// if session.user().await?.is_none() { /* anonymous */ }
    /// # Ok(()) }
    /// ```
    pub async fn user(&self) -> Result<Option<String>, SessionError> {
        Ok(self.loaded().await?.user.clone())
    }

    /// The cookie lifetime this session will be sent with: its own (see
    /// [`Session::set_max_age`]) or the configured one; `None` for a browser-session cookie.
    pub async fn max_age(&self) -> Result<Option<Duration>, SessionError> {
        let max_age = self.loaded().await?.max_age;
        Ok(self.shared.manager.config().cookie_max_age(max_age))
    }

    /// The id this session has in the store, or will have after `regenerate`; `None` for a
    /// session not stored yet.
    pub async fn id(&self) -> Result<Option<SessionId>, SessionError> {
        Ok(self.loaded().await?.id.clone())
    }

    /// When the session will expire in the store if this request saves or touches it.
    pub async fn expires_at(&self) -> Result<OffsetDateTime, SessionError> {
        let state = self.loaded().await?;
        let config = self.shared.manager.config();
        Ok(crate::decision::store_expiry(
            config,
            state.created_at,
            state.max_age,
            self.shared.now,
        ))
    }

    /// The instant the adapter passed to [`SessionManager::begin`]. Adapters pass it to
    /// [`SessionManager::finish`] as well, so that one request is judged at one instant and
    /// the clock is read once per request.
    ///
    /// ```
    /// # use session_core::{Config, HttpRequest, SessionManager};
    /// # let config = Config::builder().secret("0123456789abcdef0123456789abcdef").build().unwrap();
    /// # let manager = SessionManager::stateless(config, session_core::JwtFormat::new(session_core::StatelessKeys::new(["0123456789abcdef0123456789abcdef"]).unwrap()));
    /// let now = time::macros::datetime!(2030-01-01 0:00 UTC);
    /// let headers = http::HeaderMap::new();
    /// let session = manager.begin(&HttpRequest { headers: &headers, peer: None, tls: true }, now);
    /// assert_eq!(session.began_at(), now);
    /// ```
    pub fn began_at(&self) -> OffsetDateTime {
        self.shared.now
    }

    /// Whether [`SessionManager::finish`] has anything to save or send: `false` when the
    /// handler neither used nor destroyed the session. Adapters call `finish` all the same
    /// (for such a session it makes no store call and allocates nothing): it is what makes a
    /// later write through a clone of the handle fail with [`SessionError::Finished`]
    /// instead of being lost.
    ///
    /// ```
    /// # use session_core::{Config, HttpRequest, SessionManager};
    /// # let config = Config::builder().secret("0123456789abcdef0123456789abcdef").build().unwrap();
    /// # let manager = SessionManager::stateless(config, session_core::JwtFormat::new(session_core::StatelessKeys::new(["0123456789abcdef0123456789abcdef"]).unwrap()));
    /// let headers = http::HeaderMap::new();
    /// let now = time::macros::datetime!(2030-01-01 0:00 UTC);
    /// let session = manager.begin(&HttpRequest { headers: &headers, peer: None, tls: true }, now);
    /// assert!(!session.needs_finish());
    /// session.destroy();
    /// assert!(session.needs_finish());
    /// ```
    pub fn needs_finish(&self) -> bool {
        self.lock().needs_finish()
    }

    /// Whether anything the handler did needs saving.
    pub fn is_modified(&self) -> bool {
        let state = self.lock();
        state.modified || state.regenerated || state.destroyed
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("Session")
            .field("phase", &state.phase)
            .field("data", &state.data)
            .field("modified", &state.modified)
            .finish_non_exhaustive()
    }
}
