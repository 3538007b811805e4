//! The user index in Redis: a set per user, `<prefix>user:<user id>`, of session ids.
//!
//! The set is written in the same script (one round trip) as the record on a single node;
//! its TTL is pushed to the latest expiry of its members, so it outlives none of them and
//! disappears with the last. Members whose record is gone (deleted, expired, or rebound to
//! another user) are pruned when the user's sessions are listed or revoked.

use redis::Script;
use session_core::{unix_millis, Record, SessionId, StoreError};
use time::OffsetDateTime;

use super::error::store_error;
use super::{record, scripts, RedisStore};
use crate::deadline::within;

impl RedisStore {
    pub(super) fn user_key(&self, user: &str) -> String {
        format!("{}user:{user}", self.prefix)
    }

    /// Whether scripts may touch keys of several slots (a record and its user's set).
    pub(super) fn single_node(&self) -> bool {
        !self.target.is_cluster()
    }

    /// Runs `script` (`SAVE` or `CREATE`, which share their arguments) for `record`, with
    /// the user's set when the record has a user. On a cluster the set is indexed by a
    /// second call once the write succeeded. Returns the script's answer.
    pub(super) async fn write(
        &self,
        script: &Script,
        id: &SessionId,
        record: &Record,
        expected_version: u64,
    ) -> Result<i64, StoreError> {
        let expires = record::pexpireat_arg(unix_millis(record.expires_at));
        let value = record::encode(record)?;
        let set = record.user.as_deref().map(|u| self.user_key(u));
        let mut invocation = script.key(self.key(id));
        if let (Some(set), true) = (&set, self.single_node()) {
            invocation.key(set);
        }
        invocation
            .arg(&record::version_bytes(expected_version)[..])
            .arg(value)
            .arg(expires)
            .arg(id.as_str());
        let mut conn = self.conn().await?;
        let outcome: i64 = within(
            self.timeout,
            super::wait::run(
                &mut conn,
                super::wait::Write::Script(&invocation),
                self.wait,
            ),
        )
        .await?;
        if let (Some(set), false, 1) = (set, self.single_node(), outcome) {
            let mut index = scripts::INDEX.key(set);
            index.arg(0).arg(0).arg(expires).arg(id.as_str());
            within(self.timeout, async {
                index
                    .invoke_async::<i64>(&mut conn)
                    .await
                    .map_err(store_error)
            })
            .await?;
        }
        Ok(outcome)
    }

    /// The user's indexed ids with their current records (`None` when gone).
    async fn members(&self, user: &str) -> Result<Vec<(String, Option<Record>)>, StoreError> {
        let mut conn = self.conn().await?;
        let ids: Vec<String> = within(self.timeout, async {
            redis::cmd("SMEMBERS")
                .arg(self.user_key(user))
                .query_async(&mut conn)
                .await
                .map_err(store_error)
        })
        .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = ids
            .iter()
            .map(|id| format!("{}{id}", self.prefix))
            .collect();
        let values: Vec<Option<Vec<u8>>> = within(self.timeout, async {
            redis::cmd("MGET")
                .arg(&keys)
                .query_async(&mut conn)
                .await
                .map_err(store_error)
        })
        .await?;
        Ok(ids
            .into_iter()
            .zip(values)
            // A value that no longer decodes is treated as gone.
            .map(|(id, value)| (id, value.and_then(|v| record::decode(v).ok())))
            .collect())
    }

    async fn unindex(&self, user: &str, ids: &[String]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn().await?;
        within(self.timeout, async {
            redis::cmd("SREM")
                .arg(self.user_key(user))
                .arg(ids)
                .query_async::<i64>(&mut conn)
                .await
                .map_err(store_error)
        })
        .await?;
        Ok(())
    }

    pub(super) async fn list_user(
        &self,
        user: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(SessionId, Record)>, StoreError> {
        let mut live = Vec::new();
        let mut stale = Vec::new();
        for (id, found) in self.members(user).await? {
            match (SessionId::parse(&id), found) {
                (Some(sid), Some(r)) if r.user.as_deref() == Some(user) => {
                    if r.expires_at > now {
                        live.push((sid, r));
                    }
                }
                _ => stale.push(id),
            }
        }
        self.unindex(user, &stale).await?;
        Ok(live)
    }

    pub(super) async fn delete_user(
        &self,
        user: &str,
        except: Option<&SessionId>,
    ) -> Result<u64, StoreError> {
        let mut doomed = Vec::new();
        let mut unindexed = Vec::new();
        for (id, found) in self.members(user).await? {
            if except.is_some_and(|keep| keep.as_str() == id) {
                continue;
            }
            if found.is_some_and(|r| r.user.as_deref() == Some(user)) {
                doomed.push(format!("{}{id}", self.prefix));
            }
            unindexed.push(id);
        }
        let mut deleted = 0;
        if !doomed.is_empty() {
            let mut conn = self.conn().await?;
            deleted = within(self.timeout, async {
                redis::cmd("DEL")
                    .arg(&doomed)
                    .query_async::<u64>(&mut conn)
                    .await
                    .map_err(store_error)
            })
            .await?;
        }
        self.unindex(user, &unindexed).await?;
        Ok(deleted)
    }
}
