//! The lazy load: verify the credential, then read the record (or open the token).

use std::future::ready;

use time::OffsetDateTime;

use super::{Backend, SessionManager};
use crate::decision;
use crate::error::SessionError;
use crate::id::SessionId;
use crate::kit::{AuthHashLookup, AUTH_KEY};
use crate::observe::{self, Op, Rejection};
use crate::record::Record;
use crate::session::{Phase, Session, State};
use crate::session_data::{payload_has_serde_private_key, SessionData};
use crate::signing::Unsigned;
use crate::stateless::{Opened, TokenFormat};
use crate::transport::Candidates;

impl SessionManager {
    fn verify(&self, candidates: &Candidates) -> Option<(SessionId, usize)> {
        let mut refused = None;
        let found = candidates.find_map(|value| {
            let verified = match self.inner.config.keyring.verify(value) {
                Ok(verified) => verified,
                Err(why) => {
                    refused.get_or_insert(match why {
                        Unsigned::Malformed => Rejection::Malformed,
                        Unsigned::BadSignature => Rejection::BadSignature,
                    });
                    return None;
                }
            };
            // A value signed by our key but not shaped like our ids (another purpose's
            // credential, say) is refused here, before any store call.
            let id = self
                .inner
                .config
                .id_shape
                .accepts(verified.id)
                .then(|| SessionId::parse(verified.id))
                .flatten();
            if id.is_none() {
                refused.get_or_insert(Rejection::Malformed);
            }
            Some((id?, verified.key_index))
        });
        if let (None, Some(reason)) = (&found, refused) {
            observe::rejected(reason);
        }
        found
    }

    /// The verified id of the request's credential, computed once.
    pub(super) fn verified(
        &self,
        session: &Session,
        state: &mut State,
    ) -> Option<(SessionId, usize)> {
        if state.verified.is_none() {
            match &self.inner.backend {
                Backend::Store(_) => {
                    state.verified = Some(self.verify(&session.shared.candidates));
                }
                Backend::Stateless { format, .. } => match self.open(format.as_ref(), session) {
                    Some(o) => self.record_opened(format.as_ref(), state, &o, session.shared.now),
                    None => {
                        if !session.shared.candidates.is_empty() {
                            observe::rejected(Rejection::InvalidToken);
                        }
                        state.verified = Some(None);
                    }
                },
            }
        }
        state.verified.clone().flatten()
    }

    /// Records a token that opened as the request's verified credential, with how long a
    /// revocation of it must last (taken now, from the token as it arrived).
    fn record_opened(
        &self,
        format: &dyn TokenFormat,
        state: &mut State,
        opened: &Opened,
        now: OffsetDateTime,
    ) {
        state.revoke_until = Some(self.revocation_end(format, opened, now));
        state.verified = Some(Some((opened.claims.id.clone(), opened.key_index)));
    }

    fn open(&self, format: &dyn TokenFormat, session: &Session) -> Option<Opened> {
        let config = &self.inner.config;
        let now = session.shared.now;
        session.shared.candidates.find_map(|token| {
            let opened = format.open(token, &config.name, now)?;
            // The id a revocation list would be asked about has our ids' shape, as for cookies.
            if !config.id_shape.accepts(opened.claims.id.as_str()) {
                return None;
            }
            // The format checked the expiry (with its leeway); the absolute timeout is ours.
            decision::before_absolute_deadline(config, opened.claims.state.created_at, now)
                .then_some(opened)
        })
    }

    /// Loads the session on first use; `first_read` is the key that use reads, if it is a
    /// read (see [`SessionData::loaded`]).
    pub(crate) async fn ensure_loaded(
        &self,
        session: &Session,
        first_read: Option<&str>,
    ) -> Result<(), SessionError> {
        match &self.inner.backend {
            Backend::Store(_) => self.load_record(session, first_read).await,
            Backend::Stateless {
                format,
                revocations,
            } => {
                let opened = {
                    let state = session.lock();
                    if !state.needs_load() {
                        return Ok(());
                    }
                    self.open(format.as_ref(), session)
                };
                let revoked = match (&opened, revocations) {
                    (Some(o), Some(list)) => {
                        let load = list.load(&o.claims.id, session.shared.now);
                        let found = self.store_call(Op::Load, load).await?.is_some();
                        if found {
                            observe::rejected(Rejection::Revoked);
                        }
                        found
                    }
                    _ => false,
                };
                let mut state = session.lock();
                if !state.needs_load() {
                    return Ok(());
                }
                state.phase = Phase::Absent;
                match opened {
                    Some(o) if !revoked => {
                        self.record_opened(format.as_ref(), &mut state, &o, session.shared.now);
                        state.phase = Phase::Present {
                            version: 0,
                            expires_at: o.claims.expires_at,
                        };
                        state.id = Some(o.claims.id);
                        state.data = SessionData::decoded(o.claims.state.data);
                        state.created_at = o.claims.state.created_at;
                        state.max_age = o.claims.state.max_age;
                    }
                    _ => state.verified = Some(None),
                }
                Ok(())
            }
        }
    }

    async fn load_record(
        &self,
        session: &Session,
        first_read: Option<&str>,
    ) -> Result<(), SessionError> {
        let Backend::Store(store) = &self.inner.backend else {
            return Ok(());
        };
        let now: OffsetDateTime = session.shared.now;
        let id = {
            let mut state = session.lock();
            if !state.needs_load() {
                return Ok(());
            }
            match self.verified(session, &mut state) {
                Some((id, _)) => id,
                None => {
                    state.phase = Phase::Absent;
                    return Ok(());
                }
            }
        };
        // With turns, one load through this handle's clones; then this request's turn.
        let mut _loading = None;
        let turn = match &self.inner.turns {
            Some(turns) => {
                _loading = Some(session.shared.loading.lock().await);
                if !session.lock().needs_load() {
                    return Ok(());
                }
                Some(turns.take(&id).await)
            }
            None => None,
        };
        let record = match store.immediate() {
            Some(store) => {
                self.store_call(Op::Load, ready(store.load(&id, now)))
                    .await?
            }
            None => self.store_call(Op::Load, store.load(&id, now)).await?,
        };
        let live = match record {
            Some(record) => self.live_session(record, first_read, now),
            None => Err(Rejection::Expired),
        };
        let mut live = live.map_err(observe::rejected).ok();
        if let (Some(session), Some(auth)) = (&mut live, &self.inner.auth) {
            if !session.auth_holds(auth).await? {
                // Logged in with a credential the user no longer has: ended here, and the
                // request goes on with a new session.
                observe::rejected(Rejection::Revoked);
                match store.immediate() {
                    Some(store) => {
                        self.store_call(Op::Delete, ready(store.delete(&id)))
                            .await?
                    }
                    None => self.store_call(Op::Delete, store.delete(&id)).await?,
                }
                live = None;
            }
        }
        let mut state = session.lock();
        // Loaded by a concurrent call on a clone of this handle, or destroyed by one during
        // the store call: nothing of this record is installed.
        if !state.needs_load() {
            return Ok(());
        }
        state.phase = Phase::Absent;
        state.turn = turn;
        if let Some(live) = live {
            state.phase = Phase::Present {
                version: live.version,
                expires_at: live.expires_at,
            };
            state.id = Some(id);
            state.data = live.data;
            state.created_at = live.created_at;
            state.max_age = live.max_age;
            state.user = live.user;
        }
        Ok(())
    }

    /// The session a loaded record holds, or why it is to be a new session: written by
    /// another application (ours refuses such keys), undecodable (the visitor starts over),
    /// or expired.
    fn live_session(
        &self,
        record: Record,
        first_read: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<LiveSession, Rejection> {
        if payload_has_serde_private_key(&record.payload) {
            return Err(Rejection::Malformed);
        }
        let loaded = self
            .inner
            .codec
            .decode_lazily(&record.payload)
            .map_err(|_| Rejection::Malformed)?;
        let (loaded, data_json) = (loaded.state, loaded.data_json);
        let config = &self.inner.config;
        if !decision::is_live(config, record.expires_at, loaded.created_at, now) {
            return Err(Rejection::Expired);
        }
        // Data left undecoded that would not decode is a new session too.
        let data = SessionData::loaded(loaded.data, record.payload, data_json, first_read)
            .ok_or(Rejection::Malformed)?;
        Ok(LiveSession {
            data,
            version: record.version,
            expires_at: record.expires_at,
            created_at: loaded.created_at,
            max_age: loaded.max_age,
            user: record.user,
        })
    }
}

/// A loaded record that holds a live session, before it is installed in the handle.
struct LiveSession {
    data: SessionData,
    version: u64,
    expires_at: OffsetDateTime,
    created_at: OffsetDateTime,
    max_age: Option<std::time::Duration>,
    user: Option<String>,
}

impl LiveSession {
    /// Whether a session logged in with [`crate::Session::login`] still matches its user's
    /// auth hash; sessions not logged in that way hold.
    async fn auth_holds(&mut self, auth: &AuthHashLookup) -> Result<bool, SessionError> {
        let Some(user) = self.user.as_deref() else {
            return Ok(true);
        };
        let Ok(Some(kept)) = self.data.get::<String>(AUTH_KEY) else {
            return Ok(true);
        };
        Ok(auth.holds(user, &kept).await?)
    }
}
