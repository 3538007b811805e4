//! Making room in a shard as sessions are created: expired sessions removed every so many
//! creates, and eviction when the shard is full.

use session_core::{unix_millis, Clock, SystemClock};

use super::{Key, Shard, Unindexed};
use crate::memory::slot::Rank;

/// Creates before a new shard's first scan for expired sessions, and the fewest between two.
pub(in crate::memory) const FIRST_SCAN: u32 = 16;

/// A shard is scanned for expired sessions after a number of creates equal to its size over
/// this: each create pays for about this many slot checks (a few nanoseconds each).
const SCAN_EVERY: usize = 8;

/// What a create in a shard must respect.
pub(in crate::memory) struct Limits {
    /// The shard's share of the store's capacity, if it has one.
    pub(in crate::memory) sessions: Option<usize>,
    /// Whether the store holds more session data than its budget.
    pub(in crate::memory) over_budget: bool,
    /// The latest time the store was told (Unix milliseconds); see [`expiry_cutoff`].
    pub(in crate::memory) told_ms: i64,
}

/// The instant (Unix milliseconds) by which sessions count as expired when making room: the
/// latest time the store was told, but never later than the system clock, so that a caller
/// probing a future instant (a test checking an expiry, say) cannot make creates remove
/// sessions that are live at its present. Read only when a scan or an eviction is due.
fn expiry_cutoff(told_ms: i64) -> i64 {
    // Only ever lowers the time the callers gave, which is what the store goes by.
    told_ms.min(unix_millis(SystemClock.now()))
}

impl Shard {
    /// Makes room for a session about to be created under `key`: removes the expired
    /// sessions when a scan is due and some may have expired, then evicts when the shard is
    /// full or the store over its data budget (unless `key` is taken, which the create will
    /// refuse anyway).
    pub(in crate::memory) fn make_room(
        &mut self,
        key: &Key<'_>,
        limits: &Limits,
        unindexed: &mut Unindexed,
    ) {
        self.scan_due = self.scan_due.saturating_sub(1);
        if self.scan_due == 0 {
            // Nothing to scan for while the shard's earliest expiry is ahead of what the
            // callers said; the clock is read only when it might not be.
            if limits.told_ms >= self.earliest_ms {
                let now_ms = expiry_cutoff(limits.told_ms);
                if now_ms >= self.earliest_ms {
                    self.remove_where(|slot| slot.expires_ms <= now_ms, unindexed);
                }
            }
            let next = u32::try_from(self.len() / SCAN_EVERY).unwrap_or(u32::MAX);
            self.scan_due = next.max(FIRST_SCAN);
        }
        let len = self.len();
        let count = match limits.sessions {
            // A 32nd of the shard at once, so that a full store pays for one scan per cap/32
            // creates rather than one per create.
            Some(cap) if len >= cap => len + 1 - cap + cap / 32,
            _ if limits.over_budget => (len / 32).max(1),
            _ => return,
        };
        if self.slot(key).is_none() {
            self.evict(count, expiry_cutoff(limits.told_ms), unindexed);
        }
    }

    /// Removes every session expired at `now_ms` and, if fewer than `count` went, the
    /// lowest-ranked others ([`crate::memory::slot::Slot::rank`]) up to `count` in all, in
    /// one pass.
    fn evict(&mut self, count: usize, now_ms: i64, unindexed: &mut Unindexed) {
        let Some(last) = count.checked_sub(1) else {
            return;
        };
        if last >= self.len() {
            self.remove_where(|_| true, unindexed);
            return;
        }
        let mut ranks: Vec<Rank> = self.slots().map(|slot| slot.rank(now_ms)).collect();
        let (_, &mut threshold, _) = ranks.select_nth_unstable(last);
        // Everything ranked strictly below the threshold goes; ties at it go until `count` is
        // met. Expired sessions all go, however many there are.
        let below = ranks.iter().filter(|&&rank| rank < threshold).count();
        let mut ties = count - below;
        self.remove_where(
            |slot| {
                if slot.expires_ms <= now_ms {
                    return true;
                }
                match slot.rank(now_ms).cmp(&threshold) {
                    std::cmp::Ordering::Less => true,
                    std::cmp::Ordering::Equal if ties > 0 => {
                        ties -= 1;
                        true
                    }
                    _ => false,
                }
            },
            unindexed,
        );
    }
}
