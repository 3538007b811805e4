//! The memory store's user index: which sessions each user has.

use std::collections::{HashMap, HashSet};
use std::sync::MutexGuard;

use session_core::{unix_millis, Record, SessionId};
use time::OffsetDateTime;

use super::shard::{is_sparse, Key, Unindexed};
use super::{record_of, MemoryStore};
use crate::lock::lock;

impl MemoryStore {
    fn users(&self) -> MutexGuard<'_, HashMap<Box<str>, HashSet<String>>> {
        lock(&self.inner.users)
    }

    pub(super) fn index_user(&self, id: &str, user: Option<&str>) {
        if let Some(user) = user {
            self.users()
                .entry(user.into())
                .or_default()
                .insert(id.to_owned());
        }
    }

    /// Keeps the user index from growing with users who never list their sessions.
    pub(super) fn unindex(&self, unindexed: Unindexed) {
        for (user, id) in unindexed {
            self.prune(&user, &[id]);
        }
    }

    /// Drops `ids` from `user`'s index entry, and the entry once empty; the index, or the
    /// entry, shrinks once less than a quarter full (see [`is_sparse`]).
    fn prune(&self, user: &str, ids: &[String]) {
        if ids.is_empty() {
            return;
        }
        let mut users = self.users();
        if let Some(set) = users.get_mut(user) {
            for id in ids {
                set.remove(id);
            }
            if set.is_empty() {
                users.remove(user);
                if is_sparse(users.len(), users.capacity()) {
                    users.shrink_to_fit();
                }
            } else if is_sparse(set.len(), set.capacity()) {
                set.shrink_to_fit();
            }
        }
    }

    fn user_ids(&self, user: &str) -> Vec<String> {
        self.users()
            .get(user)
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The live sessions bound to `user` at `now`.
    pub(super) fn sessions_of(&self, user: &str, now: OffsetDateTime) -> Vec<(SessionId, Record)> {
        let now_ms = unix_millis(now);
        self.learn_time(now_ms);
        let mut found = Vec::new();
        let mut stale = Vec::new();
        for text in self.user_ids(user) {
            // The index only holds ids of stored sessions, and those are never empty.
            let Some(id) = SessionId::parse(&text) else {
                continue;
            };
            let key = Key::of(&id);
            let shard = self.shard(&key);
            match shard.get(&key) {
                Some(slot) if slot.user() == Some(user) => {
                    if slot.expires_ms > now_ms {
                        found.push((id.clone(), record_of(slot)));
                    }
                }
                // Gone, or rebound to another user (or none) by a later save.
                _ => {
                    drop(shard);
                    stale.push(text);
                }
            }
        }
        self.prune(user, &stale);
        found
    }

    /// Deletes the sessions bound to `user` but `except`; returns how many.
    pub(super) fn delete_sessions_of(&self, user: &str, except: Option<&SessionId>) -> u64 {
        let mut deleted = 0;
        let mut gone = Vec::new();
        for text in self.user_ids(user) {
            if except.is_some_and(|keep| keep.as_str() == text) {
                continue;
            }
            let Some(id) = SessionId::parse(&text) else {
                continue;
            };
            let key = Key::of(&id);
            let mut shard = self.shard(&key);
            if shard.get(&key).is_some_and(|s| s.user() == Some(user)) {
                shard.remove(&key);
                self.report_bytes(&mut shard);
                deleted += 1;
            }
            drop(shard);
            gone.push(text);
        }
        self.prune(user, &gone);
        deleted
    }
}
