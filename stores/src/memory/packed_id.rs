//! A generated id held as its raw bytes: 32 base64url characters are exactly 24 bytes.

use std::hash::{Hash, Hasher};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use session_core::{SessionId, ID_BYTES};

/// A generated id's raw bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct PackedId([u8; ID_BYTES]);

impl Hash for PackedId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // No length prefix: every key of this map has the same length.
        state.write(&self.0);
    }
}

impl PackedId {
    /// The raw bytes of an id shaped like a generated one; `None` for any other id.
    pub(super) fn of(id: &SessionId) -> Option<Self> {
        id.to_bytes().map(Self)
    }

    /// The id's text.
    pub(super) fn text(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_generated_ids() {
        for _ in 0..1000 {
            let id = SessionId::generate().unwrap();
            let packed = PackedId::of(&id).unwrap();
            assert_eq!(
                packed.0.to_vec(),
                URL_SAFE_NO_PAD.decode(id.as_str()).unwrap()
            );
            assert_eq!(packed.text(), id.as_str());
        }
    }
}
