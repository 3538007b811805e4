//! Applying a plan when the session travels in the token: no store, except an optional list
//! of revoked session ids.

use time::OffsetDateTime;

use super::SessionManager;
use crate::decision::{CookieOp, Plan, StoreOp};
use crate::error::SessionError;
use crate::id::SessionId;
use crate::record::Record;
use crate::session::State;
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
        token_expiry: OffsetDateTime,
    ) -> Result<(Option<SessionId>, CookieOp), SessionError> {
        let reissue = |id: Option<SessionId>| (id, CookieOp::Set);
        match plan.store {
            StoreOp::None => Ok((state.id.clone(), plan.cookie)),
            StoreOp::Touch | StoreOp::Save => Ok(reissue(state.id.clone())),
            StoreOp::Create => Ok(reissue(Some(match state.id.clone() {
                Some(id) => id,
                None => SessionId::generate()?,
            }))),
            StoreOp::Replace => {
                if let (Some(list), Some(old)) = (revocations, &old_id) {
                    revoke(list, old, token_expiry).await?;
                }
                Ok(reissue(state.id.clone()))
            }
            StoreOp::Delete => {
                if let (Some(list), Some(old)) = (revocations, &old_id) {
                    revoke(list, old, token_expiry).await?;
                }
                Ok((None, plan.cookie))
            }
        }
    }
}

/// Records `id` as revoked until every token naming it has expired. Tokens are re-issued with
/// at most the lifetime in `until`, so that is long enough.
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
