//! The hasher of the packed-id maps.

use std::hash::{BuildHasher, Hasher, RandomState};

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
