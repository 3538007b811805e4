//! One shard of the memory store: its maps of compact slots (see [`super::slot`]).
//!
//! Memory per session is what this layout is about (at most 150 bytes beyond the data).
//! Generated ids, 32 base64url characters, are kept as their 24 raw bytes inline in the map's
//! slot, next to one block of the shard's slab (see [`super::slab`]) holding version, user
//! and payload; there is no second index: a sweep scans the slots, which costs less than
//! keeping an ordered index up to date on every save.
//!
//! A shard hands back to the allocator the memory of sessions it no longer holds: after a
//! removal it moves the remaining sessions into a new slab once the old one's freed blocks
//! hold as many bytes as the sessions, and shrinks a map once it is less than a quarter full
//! (see [`Shard::give_back`]). Once a spike of sessions is gone, a shard's slab holds less
//! than twice the bytes of the sessions that remain (and the unused end of one page of each
//! size), and its maps have room for at most about four times as many.

mod room;

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

use session_core::{SessionId, StoreError};

use super::hasher::IdHasherBuilder;
use super::packed_id::PackedId;
use super::slab::Slab;
use super::slot::{Contents, Slot, SlotRef, TooLong};

pub(super) use room::Limits;

/// How a session id is held.
pub(super) enum Key<'a> {
    /// The canonical form of a generated id.
    Packed(PackedId),
    /// Any other id (made by another implementation's `genid`, say).
    Text(&'a str),
}

impl<'a> Key<'a> {
    pub(super) fn of(id: &'a SessionId) -> Self {
        match PackedId::of(id) {
            Some(packed) => Key::Packed(packed),
            None => Key::Text(id.as_str()),
        }
    }
}

/// The sessions of one shard.
pub(super) struct Shard {
    packed: HashMap<PackedId, Slot, IdHasherBuilder>,
    text: HashMap<Box<str>, Slot>,
    slab: Slab,
    /// Bytes of the sessions' blocks (version, user and payload).
    bytes: usize,
    /// What of `bytes` the store-wide count has been told.
    pub(super) reported_bytes: usize,
    /// No session of the shard expires before this (a lower bound, exact after a scan).
    earliest_ms: i64,
    /// Creates left until the shard is next scanned for expired sessions.
    scan_due: u32,
    /// Bytes handed back to the allocator since the store last took the count.
    released: usize,
}

/// What a sweep or an eviction removed that the user index must forget.
pub(super) type Unindexed = Vec<(Box<str>, String)>;

/// The slot of `key` in whichever map holds its kind of id; a function of the maps alone, so
/// that a caller can hold it beside the shard's slab.
fn find_mut<'m>(
    packed: &'m mut HashMap<PackedId, Slot, IdHasherBuilder>,
    text: &'m mut HashMap<Box<str>, Slot>,
    key: &Key<'_>,
) -> Option<&'m mut Slot> {
    match key {
        Key::Packed(k) => packed.get_mut(k),
        Key::Text(t) => text.get_mut(*t),
    }
}

impl Shard {
    pub(super) fn new(hasher: IdHasherBuilder) -> Self {
        Self {
            packed: HashMap::with_hasher(hasher),
            text: HashMap::new(),
            slab: Slab::default(),
            bytes: 0,
            reported_bytes: 0,
            earliest_ms: i64::MAX,
            scan_due: room::FIRST_SCAN,
            released: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.packed.len() + self.text.len()
    }

    /// Bytes of the sessions' blocks (version, user and payload).
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    fn slot(&self, key: &Key<'_>) -> Option<&Slot> {
        match key {
            Key::Packed(k) => self.packed.get(k),
            Key::Text(t) => self.text.get(*t),
        }
    }

    fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.packed.values().chain(self.text.values())
    }

    /// The sessions live at `now_ms` whose id sorts after `after`, the first `limit` of them
    /// by id (for [`crate::Inventory`]): one pass over the shard.
    pub(super) fn live_after(
        &self,
        after: &str,
        limit: usize,
        now_ms: i64,
    ) -> Vec<(String, SlotRef<'_>)> {
        let live = |slot: &&Slot| slot.expires_ms > now_ms;
        let packed = self.packed.iter().filter(|(_, s)| live(s));
        let text = self.text.iter().filter(|(_, s)| live(s));
        let mut found: Vec<(String, &Slot)> = packed
            .map(|(id, slot)| (id.text(), slot))
            .filter(|(id, _)| id.as_str() > after)
            .chain(
                text.filter(|(id, _)| &***id > after)
                    .map(|(id, slot)| (id.to_string(), slot)),
            )
            .collect();
        found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        found.truncate(limit);
        found
            .into_iter()
            .map(|(id, slot)| (id, SlotRef::of(&self.slab, slot)))
            .collect()
    }

    /// How many sessions are live at `now_ms`.
    pub(super) fn live_count(&self, now_ms: i64) -> usize {
        self.slots().filter(|slot| slot.expires_ms > now_ms).count()
    }

    pub(super) fn get(&self, key: &Key<'_>) -> Option<SlotRef<'_>> {
        Some(SlotRef::of(&self.slab, self.slot(key)?))
    }

    /// The session, which from now on counts as in use (see [`Slot::rank`]).
    pub(super) fn get_in_use(&mut self, key: &Key<'_>) -> Option<SlotRef<'_>> {
        let slot = find_mut(&mut self.packed, &mut self.text, key)?;
        slot.seen = true;
        Some(SlotRef::of(&self.slab, slot))
    }

    /// A slot holding `contents`, its block taken from the slab.
    fn new_slot(
        slab: &mut Slab,
        expires_ms: i64,
        contents: &Contents<'_>,
    ) -> Result<Slot, TooLong> {
        let user_tag = contents.user_tag()?;
        let mut block = slab.alloc(contents.len()).ok_or(TooLong)?;
        contents.write_to(slab.bytes_mut(&mut block));
        Ok(Slot {
            block,
            expires_ms,
            user_tag,
            seen: false,
        })
    }

    /// Inserts unless the id is taken (one probe: this is every new session's path).
    pub(super) fn insert_new(
        &mut self,
        key: &Key<'_>,
        expires_ms: i64,
        contents: &Contents<'_>,
    ) -> Result<bool, TooLong> {
        use std::collections::hash_map::Entry;
        let slab = &mut self.slab;
        let inserted = match key {
            Key::Packed(k) => match self.packed.entry(*k) {
                Entry::Occupied(_) => false,
                Entry::Vacant(place) => {
                    place.insert(Self::new_slot(slab, expires_ms, contents)?);
                    true
                }
            },
            Key::Text(t) => match self.text.get(*t) {
                Some(_) => false,
                None => {
                    let slot = Self::new_slot(slab, expires_ms, contents)?;
                    self.text.insert((*t).into(), slot);
                    true
                }
            },
        };
        if inserted {
            self.bytes += contents.len();
            self.earliest_ms = self.earliest_ms.min(expires_ms);
        }
        Ok(inserted)
    }

    /// Replaces a session's contents if it is at `expected_version`, rewriting its block in
    /// place when the size class is unchanged (a counter that keeps its number of digits, the
    /// common case). Returns whether the user changed, which the user index must then learn.
    pub(super) fn save(
        &mut self,
        key: &Key<'_>,
        expected_version: u64,
        expires_ms: i64,
        contents: &Contents<'_>,
    ) -> Result<bool, StoreError> {
        let user_tag = contents.user_tag()?;
        let slot =
            find_mut(&mut self.packed, &mut self.text, key).ok_or_else(StoreError::not_found)?;
        let slab = &mut self.slab;
        let stored = SlotRef::of(slab, slot);
        if stored.version() != expected_version {
            return Err(StoreError::conflict());
        }
        let user_changed = stored.user() != contents.user;
        let old_len = slot.block.len();
        if !Slab::resize_in_place(&mut slot.block, contents.len()) {
            let block = slab.alloc(contents.len()).ok_or(TooLong)?;
            slab.release(std::mem::replace(&mut slot.block, block));
        }
        contents.write_to(slab.bytes_mut(&mut slot.block));
        slot.expires_ms = expires_ms;
        slot.user_tag = user_tag;
        slot.seen = true;
        self.bytes = self.bytes.saturating_sub(old_len) + contents.len();
        self.earliest_ms = self.earliest_ms.min(expires_ms);
        Ok(user_changed)
    }

    /// Moves a session's expiry (the session counts as in use); nothing if it is gone.
    pub(super) fn set_expiry(&mut self, key: &Key<'_>, expires_ms: i64) {
        if let Some(slot) = find_mut(&mut self.packed, &mut self.text, key) {
            slot.expires_ms = expires_ms;
            slot.seen = true;
            self.earliest_ms = self.earliest_ms.min(expires_ms);
        }
    }

    pub(super) fn remove(&mut self, key: &Key<'_>) -> bool {
        let removed = match key {
            Key::Packed(k) => self.packed.remove(k),
            Key::Text(t) => self.text.remove(*t),
        };
        let Some(slot) = removed else {
            return false;
        };
        self.bytes = self.bytes.saturating_sub(slot.block.len());
        self.slab.release(slot.block);
        self.give_back();
        true
    }

    /// Hands back to the allocator what removed sessions leave unused: the slab's freed
    /// blocks once they hold as many bytes as the sessions (the sessions are moved into a
    /// new slab, and the old one is dropped with its pages), and a map's room once it is less
    /// than a quarter full.
    ///
    /// A move costs a pass over the shard and a copy of its sessions' bytes, and comes only
    /// after at least as many bytes were freed; a shrink costs a rehash of what remains, and
    /// comes only after three quarters of the map were removed: each removal pays a bounded
    /// share of either.
    fn give_back(&mut self) {
        let spare = self.slab.spare_bytes();
        if spare > 0 && spare >= self.bytes {
            let old = std::mem::take(&mut self.slab);
            for slot in self.packed.values_mut().chain(self.text.values_mut()) {
                self.slab.move_block(&old, &mut slot.block);
            }
            self.released += old.page_bytes().saturating_sub(self.slab.page_bytes());
        }
        self.released += shrink_if_sparse(&mut self.packed) + shrink_if_sparse(&mut self.text);
    }

    /// Bytes handed back to the allocator since the last call.
    pub(super) fn take_released(&mut self) -> usize {
        std::mem::take(&mut self.released)
    }

    /// Removes the sessions `doomed` picks, noting the users of those that had one; the
    /// shard's earliest expiry becomes exact.
    pub(super) fn remove_where(
        &mut self,
        mut doomed: impl FnMut(&Slot) -> bool,
        unindexed: &mut Unindexed,
    ) -> usize {
        let before = self.len();
        let slab = &mut self.slab;
        let (mut freed, mut earliest) = (0, i64::MAX);
        let mut pick = |slot: &Slot| {
            let gone = doomed(slot);
            if !gone {
                earliest = earliest.min(slot.expires_ms);
            }
            gone
        };
        // The id's text is only needed (and, for a packed id, only encoded) for a user's
        // session.
        let mut forget = |id: &dyn Fn() -> String, slot: Slot| {
            if let Some(user) = SlotRef::of(slab, &slot).user() {
                unindexed.push((user.into(), id()));
            }
            freed += slot.block.len();
            slab.release(slot.block);
        };
        for (id, slot) in self.packed.extract_if(|_, slot| pick(slot)) {
            forget(&|| id.text(), slot);
        }
        for (id, slot) in self.text.extract_if(|_, slot| pick(slot)) {
            forget(&|| id.to_string(), slot);
        }
        self.bytes = self.bytes.saturating_sub(freed);
        self.earliest_ms = earliest;
        let removed = before - self.len();
        if removed > 0 {
            self.give_back();
        }
        removed
    }
}

/// Whether a map or set of `len` entries with room for `capacity` is less than a quarter
/// full (an empty one with any room at all counts): a shrink to fit then frees at least half
/// of its table, and the map must lose three quarters of its entries again before the next.
pub(super) fn is_sparse(len: usize, capacity: usize) -> bool {
    len < capacity.div_ceil(4)
}

/// Shrinks `map` to fit its entries if it is less than a quarter full; returns about how
/// many bytes of table that freed.
fn shrink_if_sparse<K: Eq + Hash, V, S: BuildHasher>(map: &mut HashMap<K, V, S>) -> usize {
    let before = map.capacity();
    if !is_sparse(map.len(), before) {
        return 0;
    }
    map.shrink_to_fit();
    let entry = std::mem::size_of::<(K, V)>() + 1;
    before.saturating_sub(map.capacity()) * entry
}
