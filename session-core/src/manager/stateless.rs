//! Applying a plan when the session travels in the token: no store, except an optional list
//! of revoked session ids.

use time::OffsetDateTime;

use super::SessionManager;
use crate::decision::{self, CookieOp, Plan, StoreOp};
use crate::error::SessionError;
use crate::id::SessionId;
use crate::record::Record;
use crate::session::State;
use crate::stateless::{Opened, TokenFormat};
use crate::store::{DynStore, StoreErrorKind};

impl SessionManager {
    /// Every write becomes a re-issued token; a delete revokes the old id when a revocation
    /// list is configured, and clears the cookie.
    pub(super) async fn apply_stateless(
        &self,
        revocations: Option<&dyn DynStore>,
        plan: Plan,
        state: &mut State,
        old_id: Option<SessionId>,
        revoke_until: OffsetDateTime,
    ) -> Result<(Option<SessionId>, CookieOp), SessionError> {
        if let (Some(list), Some(old)) = (revocations, &old_id) {
            if revokes(plan.store) {
                revoke(list, old, revoke_until).await?;
            }
        }
        reissue(plan, state)
    }

    /// Until when a revocation of the token `opened` must last: past the later of its own
    /// expiry and the expiry a copy of it re-issued now would get (a stolen copy may have been
    /// refreshed since this one was issued, but never after the revocation, which refuses
    /// it), plus the format's leeway and a second for expiries kept in whole seconds. Taken
    /// from the token as it arrived, whatever the handler did to the session since.
    pub(super) fn revocation_end(
        &self,
        format: &dyn TokenFormat,
        opened: &Opened,
        now: OffsetDateTime,
    ) -> OffsetDateTime {
        let claims = &opened.claims;
        let reissued = decision::store_expiry(
            &self.inner.config,
            claims.state.created_at,
            claims.state.max_age,
            now,
        );
        claims
            .expires_at
            .max(reissued)
            .saturating_add(format.leeway())
            .saturating_add(time::Duration::SECOND)
    }
}

/// Whether `op` ends the old id, which a revocation list then remembers.
pub(super) fn revokes(op: StoreOp) -> bool {
    matches!(op, StoreOp::Replace | StoreOp::Delete)
}

/// The token to send once any revocation is done: every write re-issues it.
pub(super) fn reissue(
    plan: Plan,
    state: &State,
) -> Result<(Option<SessionId>, CookieOp), SessionError> {
    let reissue = |id: Option<SessionId>| (id, CookieOp::Set);
    Ok(match plan.store {
        StoreOp::None => (state.id.clone(), plan.cookie),
        StoreOp::Touch | StoreOp::Save | StoreOp::Replace => reissue(state.id.clone()),
        StoreOp::Create => reissue(Some(match state.id.clone() {
            Some(id) => id,
            None => SessionId::generate()?,
        })),
        StoreOp::Delete => (None, plan.cookie),
    })
}

/// Records `id` as revoked until `until`, when every token naming it has expired (see
/// [`SessionManager::revocation_end`]).
async fn revoke(
    list: &dyn DynStore,
    id: &SessionId,
    until: OffsetDateTime,
) -> Result<(), SessionError> {
    let record = Record::new(Vec::new(), until, 1);
    match list.create(id, &record).await {
        Err(e) if e.kind() != StoreErrorKind::DuplicateId => Err(e.into()),
        _ => Ok(()),
    }
}
