//! Enumerating the memory store's sessions ([`crate::Inventory`]): shard by shard, by id
//! within a shard. A cursor is `<shard>/<last id>`.

use session_core::{unix_millis, SessionId, StoreError};
use time::OffsetDateTime;

use super::{record_of, MemoryStore};
use crate::lock::lock;
use crate::{Cursor, Inventory, Page};

/// A cursor's shard and the last id seen in it.
fn parse_cursor(cursor: &Cursor) -> Result<(usize, &str), StoreError> {
    let (shard, last) = cursor
        .as_str()
        .split_once('/')
        .ok_or_else(|| cursor.foreign())?;
    Ok((shard.parse().map_err(|_| cursor.foreign())?, last))
}

impl Inventory for MemoryStore {
    async fn scan(
        &self,
        after: Option<&Cursor>,
        limit: usize,
        now: OffsetDateTime,
    ) -> Result<Page, StoreError> {
        let limit = limit.max(1);
        let now_ms = unix_millis(now);
        let (mut index, mut last) = match after {
            Some(cursor) => {
                let (shard, last) = parse_cursor(cursor)?;
                (shard, last.to_owned())
            }
            None => (0, String::new()),
        };
        let shards = &self.inner.shards;
        let mut entries = Vec::new();
        while index < shards.len() {
            let shard = lock(&shards[index]);
            let wanted = limit - entries.len();
            let found = shard.live_after(&last, wanted, now_ms);
            let exhausted = found.len() < wanted;
            for (id, slot) in found {
                if let Some(sid) = SessionId::parse(&id) {
                    entries.push((sid, record_of(slot)));
                }
                last = id;
            }
            drop(shard);
            if !exhausted {
                // Full: this shard may hold more after `last`.
                return Ok(Page::new(
                    entries,
                    Some(Cursor::new(format!("{index}/{last}"))),
                ));
            }
            index += 1;
            last.clear();
        }
        Ok(Page::new(entries, None))
    }

    async fn count(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let now_ms = unix_millis(now);
        let live: usize = self
            .inner
            .shards
            .iter()
            .map(|shard| lock(shard).live_count(now_ms))
            .sum();
        Ok(live as u64)
    }
}
