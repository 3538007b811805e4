//! The user index: list a user's live sessions, revoke one or all ("log out everywhere").

use time::OffsetDateTime;

use super::{Backend, SessionManager};
use crate::error::SessionError;
use crate::id::SessionId;
use crate::store::{DynStore, StoreError, StoreErrorKind};

/// One live session of a user, as [`SessionManager::user_sessions`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserSession {
    /// The session's id (show a shortened form only: it is a credential once signed).
    pub id: SessionId,
    /// When the session was created.
    pub created_at: OffsetDateTime,
    /// When the session was last saved or touched. Stores keep no such field: it is the
    /// expiry minus the session's lifetime, so it is exact for idle-timeout and max-age
    /// sessions and lags by at most the touch threshold (a request that neither changed nor
    /// touched the session is not counted).
    pub last_seen: OffsetDateTime,
    /// When the session expires unless used again.
    pub expires_at: OffsetDateTime,
}

impl SessionManager {
    fn indexed_store(&self) -> Result<&dyn DynStore, SessionError> {
        match &self.inner.backend {
            Backend::Store(store) => Ok(store.as_ref()),
            Backend::Stateless { .. } => Err(SessionError::Store(StoreError::from_kind(
                StoreErrorKind::Unsupported,
            ))),
        }
    }

    /// The live sessions bound to `user` (see [`crate::Session::set_user`]), oldest first.
    /// Records that no longer decode are left out.
    ///
    /// ```
    /// # async fn run(manager: session_core::SessionManager, now: time::OffsetDateTime) -> Result<(), session_core::SessionError> {
    /// for s in manager.user_sessions("ann", now).await? {
    ///     println!("{} created {} last seen {}", &s.id.as_str()[..8], s.created_at, s.last_seen);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn user_sessions(
        &self,
        user: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<UserSession>, SessionError> {
        let store = self.indexed_store()?;
        let mut sessions: Vec<UserSession> = store
            .user_sessions(user, now)
            .await?
            .into_iter()
            .filter(|(_, record)| record.expires_at > now)
            .filter_map(|(id, record)| {
                let state = self.inner.codec.decode(&record.payload).ok()?;
                let lifetime = self.inner.config.lifetime(state.max_age);
                let lifetime = time::Duration::try_from(lifetime).unwrap_or(time::Duration::MAX);
                Some(UserSession {
                    id,
                    created_at: state.created_at,
                    last_seen: record.expires_at.saturating_sub(lifetime),
                    expires_at: record.expires_at,
                })
            })
            .collect();
        sessions.sort_by_key(|s| s.created_at);
        Ok(sessions)
    }

    /// Ends the session `id` if it is bound to `user`, and says whether it did: the form to
    /// use when the id comes from a request ("log out that device" on a user's session
    /// list), so that nobody ends another user's session by naming its id.
    ///
    /// ```
    /// # async fn run(manager: session_core::SessionManager, id: session_core::SessionId, now: time::OffsetDateTime) -> Result<(), session_core::SessionError> {
    /// if !manager.revoke_owned("ann", &id, now).await? {
    ///     // Not one of ann's sessions (or already ended): nothing was deleted.
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn revoke_owned(
        &self,
        user: &str,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Result<bool, SessionError> {
        let store = self.indexed_store()?;
        let owned = store
            .load(id, now)
            .await?
            .is_some_and(|record| record.user.as_deref() == Some(user));
        if owned {
            store.delete(id).await?;
        }
        Ok(owned)
    }

    /// Ends one session by id, whoever it belongs to: for administrators. When the id comes
    /// from a user's request, use [`SessionManager::revoke_owned`].
    ///
    /// ```
    /// # async fn run(manager: session_core::SessionManager, id: session_core::SessionId) -> Result<(), session_core::SessionError> {
    /// manager.revoke(&id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke(&self, id: &SessionId) -> Result<(), SessionError> {
        Ok(self.indexed_store()?.delete(id).await?)
    }

    /// Ends every session of `user` but `except` ("log out everywhere else" with the
    /// current session's id, "log out everywhere" or after a password change with `None`);
    /// returns how many ended.
    ///
    /// ```
    /// # async fn run(manager: session_core::SessionManager) -> Result<(), session_core::SessionError> {
    /// let ended = manager.revoke_user("ann", None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke_user(
        &self,
        user: &str,
        except: Option<&SessionId>,
    ) -> Result<u64, SessionError> {
        Ok(self
            .indexed_store()?
            .delete_user_sessions(user, except)
            .await?)
    }
}
