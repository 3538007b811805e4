//! Applying a plan to a store: create, compare-and-set save with the conflict policy, touch,
//! delete.

use time::OffsetDateTime;

use super::SessionManager;
use crate::config::ConflictPolicy;
use crate::decision::{CookieOp, Plan, StoreOp};
use crate::error::SessionError;
use crate::id::SessionId;
use crate::merge::{merge, Merged};
use crate::observe::{self, Op, Resolution};
use crate::record::Record;
use crate::session::{Phase, State};
use crate::store::StoreErrorKind;

use super::store_calls::StoreCalls;

/// How often `create` retries with a fresh id when the id is taken (a 192-bit collision:
/// in practice a store that answers `DuplicateId` wrongly).
const CREATE_ATTEMPTS: usize = 3;

impl SessionManager {
    /// Applies `plan.store`; returns the session's id afterwards and the cookie to send.
    pub(super) async fn apply_to_store<S: StoreCalls + ?Sized>(
        &self,
        store: &S,
        plan: Plan,
        state: &mut State,
        old_id: Option<SessionId>,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(Option<SessionId>, CookieOp), SessionError> {
        match plan.store {
            StoreOp::None => Ok((state.id.clone(), plan.cookie)),
            StoreOp::Touch => {
                if let Some(id) = &state.id {
                    self.store_call(Op::Touch, store.touch(id, expires_at))
                        .await?;
                }
                Ok((state.id.clone(), plan.cookie))
            }
            StoreOp::Save => {
                let Some(id) = state.id.clone() else {
                    return Ok((None, CookieOp::None));
                };
                if self.save(store, &id, state, expires_at, now).await? {
                    Ok((Some(id), plan.cookie))
                } else {
                    // The record vanished (destroyed by another request): do not resurrect it.
                    Ok((None, CookieOp::Clear))
                }
            }
            StoreOp::Create => Ok((
                Some(self.create(store, state, expires_at).await?),
                plan.cookie,
            )),
            StoreOp::Replace => {
                let new_id = self.create(store, state, expires_at).await?;
                if let Some(old) = &old_id {
                    self.store_call(Op::Delete, store.delete(old)).await?;
                }
                Ok((Some(new_id), plan.cookie))
            }
            StoreOp::Delete => {
                if let Some(old) = &old_id {
                    self.store_call(Op::Delete, store.delete(old)).await?;
                }
                Ok((None, plan.cookie))
            }
        }
    }

    fn encode(
        &self,
        state: &mut State,
        expires_at: OffsetDateTime,
        version: u64,
    ) -> Result<Record, SessionError> {
        let payload =
            state.with_snapshot(|snapshot| self.inner.codec.encode(snapshot, expires_at))??;
        Ok(Record::new(payload, expires_at, version).with_user(state.user.clone()))
    }

    async fn create<S: StoreCalls + ?Sized>(
        &self,
        store: &S,
        state: &mut State,
        expires_at: OffsetDateTime,
    ) -> Result<SessionId, SessionError> {
        let record = self.encode(state, expires_at, 1)?;
        let mut id = match state.id.take() {
            Some(id) => id,
            None => SessionId::generate()?,
        };
        for attempt in 1..=CREATE_ATTEMPTS {
            match self
                .store_call(Op::Create, store.create(&id, &record))
                .await
            {
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
    async fn save<S: StoreCalls + ?Sized>(
        &self,
        store: &S,
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
            match self
                .store_call(Op::Save, store.save(id, &record, expected))
                .await
            {
                Ok(()) => return Ok(true),
                Err(e)
                    if matches!(
                        e.kind(),
                        StoreErrorKind::Conflict | StoreErrorKind::NotFound
                    ) => {}
                Err(e) => return Err(e.into()),
            }
            let fingerprint = self.fingerprint(id);
            if config.conflict_policy == ConflictPolicy::Error {
                observe::conflict(Resolution::Refused, fingerprint);
                return Err(SessionError::Conflict);
            }
            let Some(fresh) = self.store_call(Op::Load, store.load(id, now)).await? else {
                return Ok(false);
            };
            let Ok(fresh_state) = self.inner.codec.decode(&fresh.payload) else {
                observe::conflict(Resolution::Refused, fingerprint);
                return Err(SessionError::Conflict);
            };
            expected = fresh.version;
            if !state.user_changed {
                // Another request may have bound or unbound the user; this one did not.
                state.user = fresh.user;
            }
            if config.conflict_policy == ConflictPolicy::LastWriteWins {
                observe::conflict(Resolution::Overwritten, fingerprint);
                continue;
            }
            let Ok(original) = self.inner.codec.decode(state.data.loaded_payload()) else {
                observe::conflict(Resolution::Refused, fingerprint);
                return Err(SessionError::Conflict);
            };
            match merge(&original, &fresh_state, state) {
                Merged::Conflict => {
                    observe::conflict(Resolution::Refused, fingerprint);
                    return Err(SessionError::Conflict);
                }
                Merged::Applied => {
                    observe::conflict(Resolution::Merged, fingerprint);
                    state.data.set_loaded_payload(fresh.payload);
                }
            }
        }
        observe::conflict(Resolution::Refused, self.fingerprint(id));
        Err(SessionError::Conflict)
    }
}
