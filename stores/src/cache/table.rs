//! The cached records: a bounded table (quick_cache) and the bookkeeping that keeps a load
//! racing an invalidation from putting an old record back.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use session_core::Record;

use crate::lock::lock;

/// How many recent invalidations are remembered for loads still in flight. A load that
/// started before the oldest of them is not kept (it is answered, only not cached).
const RECENT: usize = 1024;

pub(crate) struct Table {
    entries: quick_cache::sync::Cache<Box<str>, Record>,
    /// Serialises "was this id invalidated since the load began? then keep it" against
    /// invalidations, which hold it while they count and remove.
    recent: Mutex<Recent>,
    /// Whether the invalidation link is up: when it is not, nothing is served or kept.
    up: AtomicBool,
    pub(crate) stats: Counters,
}

/// The invalidations applied so far, numbered, and the ids of the last [`RECENT`].
struct Recent {
    seq: u64,
    /// Tickets below this are refused: an invalidation after them is no longer listed, or a
    /// flush came after them.
    floor: u64,
    /// Hashes of the ids (a collision only keeps a load out of the cache).
    ids: VecDeque<(u64, u64)>,
}

fn id_hash(id: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(id)
}

/// What the cache did, for [`super::CacheStats`].
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) hits: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) bypassed: AtomicU64,
    pub(crate) invalidations: AtomicU64,
    pub(crate) link_losses: AtomicU64,
}

/// Taken before a load from the store: whether the result may be kept.
#[derive(Clone, Copy)]
pub(crate) struct Ticket(u64);

impl Table {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: quick_cache::sync::Cache::new(capacity.max(1)),
            recent: Mutex::new(Recent {
                seq: 0,
                floor: 0,
                ids: VecDeque::with_capacity(RECENT),
            }),
            up: AtomicBool::new(false),
            stats: Counters::default(),
        }
    }

    fn recent(&self) -> MutexGuard<'_, Recent> {
        lock(&self.recent)
    }

    pub(crate) fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// The record cached for `id`, if the link is up.
    pub(crate) fn get(&self, id: &str) -> Option<Record> {
        if !self.is_up() {
            return None;
        }
        self.entries.get(id)
    }

    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(self.recent().seq)
    }

    /// Keeps `record` unless the link went down or `id` was invalidated after `ticket`
    /// was taken (the record may predate that write).
    pub(crate) fn fill(&self, id: &str, record: &Record, ticket: Ticket) {
        let recent = self.recent();
        if !self.is_up() || ticket.0 < recent.floor {
            return;
        }
        if ticket.0 != recent.seq {
            let hash = id_hash(id);
            if recent.ids.iter().any(|&(n, h)| n > ticket.0 && h == hash) {
                return;
            }
        }
        self.entries.insert(id.into(), record.clone());
    }

    /// Drops `id` as this instance changed it (its own write).
    pub(crate) fn forget(&self, id: &str) {
        self.entries.remove(id);
    }

    /// Drops `id` because the server says it changed.
    pub(crate) fn invalidate(&self, id: &str) {
        let mut recent = self.recent();
        recent.seq += 1;
        if recent.ids.len() == RECENT {
            if let Some((n, _)) = recent.ids.pop_front() {
                recent.floor = n;
            }
        }
        let seq = recent.seq;
        recent.ids.push_back((seq, id_hash(id)));
        self.entries.remove(id);
        drop(recent);
        self.stats.invalidations.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops everything: the server said so, or invalidations may have been missed.
    pub(crate) fn flush(&self) {
        let mut recent = self.recent();
        recent.seq += 1;
        recent.floor = recent.seq;
        recent.ids.clear();
        self.entries.clear();
    }

    /// The link is up: a fresh subscription, so nothing cached before it is trusted.
    pub(crate) fn link_up(&self) {
        self.flush();
        self.up.store(true, Ordering::Release);
    }

    /// The link is down: serve nothing, keep nothing, until it is up again.
    pub(crate) fn link_down(&self) {
        if self.up.swap(false, Ordering::AcqRel) {
            self.stats.link_losses.fetch_add(1, Ordering::Relaxed);
        }
        self.flush();
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn record(version: u64) -> Record {
        Record::new(b"{}".to_vec(), OffsetDateTime::UNIX_EPOCH, version)
    }

    #[test]
    fn a_load_that_raced_an_invalidation_is_not_kept() {
        let table = Table::new(10);
        table.link_up();
        let ticket = table.ticket();
        table.invalidate("a");
        table.fill("a", &record(1), ticket);
        assert!(table.get("a").is_none());
        // Another id's invalidation does not stop it.
        let ticket = table.ticket();
        table.invalidate("b");
        table.fill("a", &record(2), ticket);
        assert_eq!(table.get("a").map(|r| r.version), Some(2));
    }

    #[test]
    fn nothing_is_served_or_kept_while_the_link_is_down() {
        let table = Table::new(10);
        table.link_up();
        table.fill("a", &record(1), table.ticket());
        table.link_down();
        assert!(table.get("a").is_none());
        table.fill("a", &record(1), table.ticket());
        let ticket = table.ticket();
        table.link_up();
        table.fill("a", &record(1), ticket);
        assert!(
            table.get("a").is_none(),
            "a load from before the link came back"
        );
    }

    #[test]
    fn loads_older_than_the_remembered_invalidations_are_not_kept() {
        let table = Table::new(10);
        table.link_up();
        let ticket = table.ticket();
        for i in 0..RECENT {
            table.invalidate(&format!("x{i}"));
        }
        table.fill("a", &record(1), ticket);
        assert!(table.get("a").is_some());
        let ticket = table.ticket();
        for i in 0..=RECENT {
            table.invalidate(&format!("y{i}"));
        }
        table.fill("b", &record(1), ticket);
        assert!(table.get("b").is_none());
    }

    #[test]
    fn it_is_bounded() {
        let table = Table::new(100);
        table.link_up();
        for i in 0..10_000 {
            table.fill(&format!("id{i}"), &record(1), table.ticket());
        }
        assert!(table.len() <= 110, "{}", table.len());
    }
}
