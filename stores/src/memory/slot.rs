//! A session as one shard keeps it: a compact slot in the shard's map, its bytes in the
//! shard's slab.

use session_core::{StoreError, StoreErrorKind};

use super::slab::{Block, Slab};

/// One session: its expiry, and a block of `version (8 bytes) ‖ user ‖ payload` in its
/// shard's [`Slab`].
pub(super) struct Slot {
    pub(super) block: Block,
    pub(super) expires_ms: i64,
    /// 0 when the session has no user, else the user's length + 1.
    pub(super) user_tag: u32,
    /// Whether the session was loaded, saved or touched since it was created: what tells a
    /// session in use from one that a single request made (see [`Slot::rank`]).
    pub(super) seen: bool,
}

// The flag lives in what was the slot's padding: a session costs no more than without it.
const _: () = assert!(std::mem::size_of::<Slot>() <= 32);

/// Where a session stands when a full shard must drop some, lowest first: its group in the
/// top 3 bits, then its expiry (see [`Slot::rank`]).
pub(super) type Rank = u64;

/// Bits of a [`Rank`] that hold the expiry: Unix milliseconds offset by half their range,
/// which orders every instant within 36 million years of 1970 (far beyond the years an
/// instant can have; the clamp only keeps the arithmetic in range).
const EXPIRY_BITS: u32 = 61;

impl Slot {
    /// Expired sessions first; then anonymous sessions not used since created, anonymous
    /// ones in use, sessions bound to a user not used since created, and those in use; within
    /// each group, those closest to expiry first.
    pub(super) fn rank(&self, now_ms: i64) -> Rank {
        let group = if self.expires_ms <= now_ms {
            0
        } else {
            1 + ((u64::from(self.user_tag != 0) << 1) | u64::from(self.seen))
        };
        let half = 1i64 << (EXPIRY_BITS - 1);
        let offset = self.expires_ms.clamp(-half, half - 1) + half;
        (group << EXPIRY_BITS) | offset.unsigned_abs()
    }
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
    pub(super) fn user_tag(&self) -> Result<u32, TooLong> {
        match self.user {
            None => Ok(0),
            Some(u) => u32::try_from(u.len() + 1).map_err(|_| TooLong),
        }
    }

    pub(super) fn len(&self) -> usize {
        VERSION_BYTES + self.user.map_or(0, str::len) + self.payload.len()
    }

    /// Writes the contents into `out`, which is [`Contents::len`] bytes long.
    pub(super) fn write_to(&self, out: &mut [u8]) {
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
    pub(super) fn of(slab: &'a Slab, slot: &'a Slot) -> Self {
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
