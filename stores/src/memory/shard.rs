//! One shard of the memory store: its maps and the compact slot each session occupies.
//!
//! Memory per session is what this layout is about (the benchmark issue asks for at most
//! 150 bytes beyond the data). Generated ids, 32 base64url characters, are kept as their 24
//! raw bytes inline in the map's slot, next to one block of the shard's slab (see
//! [`super::slab`]) holding version, user and payload; there is no second index: a sweep
//! scans the slots, which costs less than keeping an ordered index up to date on every save.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};

use session_core::{SessionId, StoreError, StoreErrorKind};

use super::packed_id::PackedId;
use super::slab::{Block, Slab};

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

/// Hashes packed ids: they come from a CSPRNG (a packed key is only ever created from an id
/// this process or a peer generated), so folding their bytes with a per-store seed spreads
/// them as well as SipHash would, in a few instructions.
#[derive(Clone)]
pub(super) struct IdHasherBuilder {
    seed: u64,
}

impl IdHasherBuilder {
    pub(super) fn new() -> Self {
        Self {
            seed: RandomState::new().hash_one(0u64),
        }
    }
}

impl BuildHasher for IdHasherBuilder {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(self.seed)
    }
}

pub(super) struct IdHasher(u64);

const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            let mixed = u128::from(self.0 ^ u64::from_le_bytes(word)) * u128::from(MULTIPLIER);
            self.0 = (mixed as u64) ^ ((mixed >> 64) as u64);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// One session: its expiry, and a block of `version (8 bytes) ‖ user ‖ payload` in its
/// shard's [`Slab`].
pub(super) struct Slot {
    block: Block,
    pub(super) expires_ms: i64,
    /// 0 when the session has no user, else the user's length + 1.
    user_tag: u32,
}

/// What a slot holds besides its expiry.
pub(super) struct Contents<'a> {
    pub(super) payload: &'a [u8],
    pub(super) version: u64,
    pub(super) user: Option<&'a str>,
}

/// A session, or a user name, of 4 GiB or more.
#[derive(Debug)]
pub(super) struct TooLong;

impl From<TooLong> for StoreError {
    fn from(_: TooLong) -> Self {
        StoreError::new(
            StoreErrorKind::Backend,
            "the memory store keeps sessions and user names of less than 4 GiB",
        )
    }
}

const VERSION_BYTES: usize = 8;

impl Contents<'_> {
    fn user_tag(&self) -> Result<u32, TooLong> {
        match self.user {
            None => Ok(0),
            Some(u) => u32::try_from(u.len() + 1).map_err(|_| TooLong),
        }
    }

    fn len(&self) -> usize {
        VERSION_BYTES + self.user.map_or(0, str::len) + self.payload.len()
    }

    /// Writes the contents into `out`, which is [`Contents::len`] bytes long.
    fn write_to(&self, out: &mut [u8]) {
        let user = self.user.unwrap_or("").as_bytes();
        let Some((version, rest)) = out.split_at_mut_checked(VERSION_BYTES) else {
            return;
        };
        let Some((user_part, payload)) = rest.split_at_mut_checked(user.len()) else {
            return;
        };
        version.copy_from_slice(&self.version.to_le_bytes());
        user_part.copy_from_slice(user);
        if payload.len() == self.payload.len() {
            payload.copy_from_slice(self.payload);
        }
    }
}

/// A session as stored, read under its shard's lock.
#[derive(Clone, Copy)]
pub(super) struct SlotRef<'a> {
    pub(super) expires_ms: i64,
    user_tag: u32,
    bytes: &'a [u8],
}

impl<'a> SlotRef<'a> {
    fn of(slab: &'a Slab, slot: &'a Slot) -> Self {
        Self {
            expires_ms: slot.expires_ms,
            user_tag: slot.user_tag,
            bytes: slab.bytes(&slot.block),
        }
    }

    pub(super) fn version(&self) -> u64 {
        let mut version = [0u8; VERSION_BYTES];
        if let Some(bytes) = self.bytes.get(..VERSION_BYTES) {
            version.copy_from_slice(bytes);
        }
        u64::from_le_bytes(version)
    }

    fn user_len(&self) -> usize {
        (self.user_tag as usize).saturating_sub(1)
    }

    pub(super) fn user(&self) -> Option<&'a str> {
        let bytes = self
            .bytes
            .get(VERSION_BYTES..VERSION_BYTES + self.user_len())?;
        // Written from a &str, so always UTF-8.
        (self.user_tag != 0).then(|| std::str::from_utf8(bytes).unwrap_or_default())
    }

    pub(super) fn payload(&self) -> &'a [u8] {
        self.bytes
            .get(VERSION_BYTES + self.user_len()..)
            .unwrap_or_default()
    }
}

/// The sessions of one shard.
pub(super) struct Shard {
    packed: HashMap<PackedId, Slot, IdHasherBuilder>,
    text: HashMap<Box<str>, Slot>,
    slab: Slab,
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
        }
    }

    pub(super) fn len(&self) -> usize {
        self.packed.len() + self.text.len()
    }

    fn slot(&self, key: &Key<'_>) -> Option<&Slot> {
        match key {
            Key::Packed(k) => self.packed.get(k),
            Key::Text(t) => self.text.get(*t),
        }
    }

    fn slot_mut(&mut self, key: &Key<'_>) -> Option<&mut Slot> {
        find_mut(&mut self.packed, &mut self.text, key)
    }

    pub(super) fn get(&self, key: &Key<'_>) -> Option<SlotRef<'_>> {
        Some(SlotRef::of(&self.slab, self.slot(key)?))
    }

    /// A slot holding `contents`, its block taken from this shard's slab.
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
        match key {
            Key::Packed(k) => match self.packed.entry(*k) {
                Entry::Occupied(_) => Ok(false),
                Entry::Vacant(place) => {
                    place.insert(Self::new_slot(slab, expires_ms, contents)?);
                    Ok(true)
                }
            },
            Key::Text(t) => match self.text.get(*t) {
                Some(_) => Ok(false),
                None => {
                    let slot = Self::new_slot(slab, expires_ms, contents)?;
                    self.text.insert((*t).into(), slot);
                    Ok(true)
                }
            },
        }
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
        if !Slab::resize_in_place(&mut slot.block, contents.len()) {
            let block = slab.alloc(contents.len()).ok_or(TooLong)?;
            slab.release(std::mem::replace(&mut slot.block, block));
        }
        contents.write_to(slab.bytes_mut(&mut slot.block));
        slot.expires_ms = expires_ms;
        slot.user_tag = user_tag;
        Ok(user_changed)
    }

    /// Moves a session's expiry; nothing if it is gone.
    pub(super) fn set_expiry(&mut self, key: &Key<'_>, expires_ms: i64) {
        if let Some(slot) = self.slot_mut(key) {
            slot.expires_ms = expires_ms;
        }
    }

    pub(super) fn remove(&mut self, key: &Key<'_>) -> bool {
        let removed = match key {
            Key::Packed(k) => self.packed.remove(k),
            Key::Text(t) => self.text.remove(*t),
        };
        removed.map(|slot| self.slab.release(slot.block)).is_some()
    }

    /// Removes the sessions `doomed` picks, noting the users of those that had one.
    pub(super) fn remove_where(
        &mut self,
        mut doomed: impl FnMut(&Slot) -> bool,
        unindexed: &mut Unindexed,
    ) -> usize {
        let before = self.len();
        let slab = &mut self.slab;
        let mut forget = |id: String, slot: Slot| {
            if let Some(user) = SlotRef::of(slab, &slot).user() {
                unindexed.push((user.into(), id));
            }
            slab.release(slot.block);
        };
        for (id, slot) in self.packed.extract_if(|_, slot| doomed(slot)) {
            forget(id.text(), slot);
        }
        for (id, slot) in self.text.extract_if(|_, slot| doomed(slot)) {
            forget(id.into_string(), slot);
        }
        before - self.len()
    }

    /// Makes room in a full shard: evicts the `count` sessions closest to expiry in one pass
    /// (expired ones come first, being closest), so that the next creates find room without
    /// another pass.
    pub(super) fn evict(&mut self, count: usize, unindexed: &mut Unindexed) {
        let mut expiries: Vec<i64> = self
            .packed
            .values()
            .chain(self.text.values())
            .map(|s| s.expires_ms)
            .collect();
        let Some(last) = count.checked_sub(1).filter(|&i| i < expiries.len()) else {
            return;
        };
        let (_, &mut threshold, _) = expiries.select_nth_unstable(last);
        // Everything strictly before the threshold goes; ties at it go until `count` is met.
        let mut ties = count - expiries.iter().filter(|&&e| e < threshold).count();
        self.remove_where(
            |slot| match slot.expires_ms.cmp(&threshold) {
                std::cmp::Ordering::Less => true,
                std::cmp::Ordering::Equal if ties > 0 => {
                    ties -= 1;
                    true
                }
                _ => false,
            },
            unindexed,
        );
    }
}
