//! One shard of the memory store: its maps and the compact slot each session occupies.
//!
//! Memory per session is what this layout is about (the benchmark issue asks for at most
//! 150 bytes beyond the data). Generated ids, 32 base64url characters, are kept as their 24
//! raw bytes inline in the map's slot, next to one heap block holding version, user and
//! payload; there is no second index: a sweep scans the slots, which costs less than keeping
//! an ordered index up to date on every save.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};

use session_core::SessionId;

use super::packed_id::PackedId;

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

/// One session. The heap block is `version (8 bytes) ‖ user ‖ payload`.
pub(super) struct Slot {
    data: Box<[u8]>,
    pub(super) expires_ms: i64,
    /// 0 when the session has no user, else the user's length + 1.
    user_tag: u32,
}

/// A user name too long for a slot (over 4 GiB).
#[derive(Debug)]
pub(super) struct UserTooLong;

const VERSION_BYTES: usize = 8;

impl Slot {
    pub(super) fn new(
        payload: &[u8],
        expires_ms: i64,
        version: u64,
        user: Option<&str>,
    ) -> Result<Self, UserTooLong> {
        let user_tag = match user {
            None => 0,
            Some(u) => u32::try_from(u.len() + 1).map_err(|_| UserTooLong)?,
        };
        let user = user.unwrap_or("").as_bytes();
        let mut data = Vec::with_capacity(VERSION_BYTES + user.len() + payload.len());
        data.extend_from_slice(&version.to_le_bytes());
        data.extend_from_slice(user);
        data.extend_from_slice(payload);
        Ok(Self {
            data: data.into_boxed_slice(),
            expires_ms,
            user_tag,
        })
    }

    pub(super) fn version(&self) -> u64 {
        let mut bytes = [0u8; VERSION_BYTES];
        bytes.copy_from_slice(&self.data[..VERSION_BYTES]);
        u64::from_le_bytes(bytes)
    }

    fn user_len(&self) -> usize {
        (self.user_tag as usize).saturating_sub(1)
    }

    pub(super) fn user(&self) -> Option<&str> {
        let bytes = &self.data[VERSION_BYTES..VERSION_BYTES + self.user_len()];
        // Written from a &str in `new`, so always UTF-8.
        (self.user_tag != 0).then(|| std::str::from_utf8(bytes).unwrap_or_default())
    }

    pub(super) fn payload(&self) -> &[u8] {
        &self.data[VERSION_BYTES + self.user_len()..]
    }

    /// Replaces the contents, reusing the heap block when the size is unchanged (a counter
    /// that keeps its number of digits, the common case of a save). Returns whether the user
    /// changed, which the user index must then learn.
    pub(super) fn replace(
        &mut self,
        payload: &[u8],
        expires_ms: i64,
        version: u64,
        user: Option<&str>,
    ) -> Result<bool, UserTooLong> {
        let same_user = self.user() == user;
        if same_user && self.data.len() == VERSION_BYTES + self.user_len() + payload.len() {
            let start = VERSION_BYTES + self.user_len();
            self.data[..VERSION_BYTES].copy_from_slice(&version.to_le_bytes());
            self.data[start..].copy_from_slice(payload);
            self.expires_ms = expires_ms;
        } else {
            *self = Slot::new(payload, expires_ms, version, user)?;
        }
        Ok(!same_user)
    }
}

/// The sessions of one shard.
pub(super) struct Shard {
    packed: HashMap<PackedId, Slot, IdHasherBuilder>,
    text: HashMap<Box<str>, Slot>,
}

/// What a sweep or an eviction removed that the user index must forget.
pub(super) type Unindexed = Vec<(Box<str>, String)>;

impl Shard {
    pub(super) fn new(hasher: IdHasherBuilder) -> Self {
        Self {
            packed: HashMap::with_hasher(hasher),
            text: HashMap::new(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.packed.len() + self.text.len()
    }

    pub(super) fn get(&self, key: &Key<'_>) -> Option<&Slot> {
        match key {
            Key::Packed(k) => self.packed.get(k),
            Key::Text(t) => self.text.get(*t),
        }
    }

    pub(super) fn get_mut(&mut self, key: &Key<'_>) -> Option<&mut Slot> {
        match key {
            Key::Packed(k) => self.packed.get_mut(k),
            Key::Text(t) => self.text.get_mut(*t),
        }
    }

    /// Inserts unless the id is taken (one probe: this is every new session's path).
    pub(super) fn insert_new(&mut self, key: &Key<'_>, slot: Slot) -> bool {
        use std::collections::hash_map::Entry;
        match key {
            Key::Packed(k) => match self.packed.entry(*k) {
                Entry::Occupied(_) => false,
                Entry::Vacant(place) => {
                    place.insert(slot);
                    true
                }
            },
            Key::Text(t) => match self.text.get(*t) {
                Some(_) => false,
                None => {
                    self.text.insert((*t).into(), slot);
                    true
                }
            },
        }
    }

    pub(super) fn remove(&mut self, key: &Key<'_>) -> Option<Slot> {
        match key {
            Key::Packed(k) => self.packed.remove(k),
            Key::Text(t) => self.text.remove(*t),
        }
    }

    /// Removes the sessions `doomed` picks, noting the users of those that had one.
    pub(super) fn remove_where(
        &mut self,
        mut doomed: impl FnMut(&Slot) -> bool,
        unindexed: &mut Unindexed,
    ) -> usize {
        let before = self.len();
        self.packed.retain(|id, slot| {
            let remove = doomed(slot);
            if let (true, Some(user)) = (remove, slot.user()) {
                unindexed.push((user.into(), id.text()));
            }
            !remove
        });
        self.text.retain(|id, slot| {
            let remove = doomed(slot);
            if let (true, Some(user)) = (remove, slot.user()) {
                unindexed.push((user.into(), id.to_string()));
            }
            !remove
        });
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
