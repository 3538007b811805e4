//! A compact binary codec: MessagePack of the same fields the JSON codec writes.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use session_core::{from_unix_millis, unix_millis, Codec, CodecError, SessionState};
use time::OffsetDateTime;

/// Deepest nesting a payload may have.
const MAX_DEPTH: usize = 128;

/// Encodes sessions as MessagePack (feature `msgpack`): an array `[data, created ms,
/// max-age ms or nil]`, typically a fifth smaller than [`session_core::JsonCodec`]'s output
/// and faster to parse. Works with every store, which only keep bytes; a payload written by
/// one codec does not decode with the other, so switching codecs starts fresh sessions.
///
/// ```
/// use session_core::{Codec, SessionState};
/// use session_stores::MsgpackCodec;
/// use time::OffsetDateTime;
/// let state = SessionState {
///     data: serde_json::json!({"user": "ann", "cart": [1, 2]}).as_object().unwrap().clone(),
///     created_at: OffsetDateTime::UNIX_EPOCH,
///     max_age: None,
/// };
/// let bytes = MsgpackCodec.encode(&state, OffsetDateTime::UNIX_EPOCH).unwrap();
/// assert_eq!(MsgpackCodec.decode(&bytes).unwrap(), state);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MsgpackCodec;

#[derive(Serialize)]
struct WireRef<'a>(&'a Map<String, Value>, i64, Option<u64>);

#[derive(Deserialize)]
struct Wire(Map<String, Value>, i64, Option<u64>);

impl Codec for MsgpackCodec {
    fn encode(
        &self,
        state: &SessionState,
        _expires_at: OffsetDateTime,
    ) -> Result<Vec<u8>, CodecError> {
        let max_age = state.max_age.map(session_core::duration_millis);
        rmp_serde::to_vec(&WireRef(
            &state.data,
            unix_millis(state.created_at),
            max_age,
        ))
        .map_err(CodecError::new)
    }

    fn decode(&self, payload: &[u8]) -> Result<SessionState, CodecError> {
        // The same nesting limit as serde_json's (128): rmp-serde's own (1024) lets a crafted
        // payload overflow the stack of a thread with a small stack (found by fuzzing).
        let mut de = rmp_serde::Deserializer::from_read_ref(payload);
        de.set_max_depth(MAX_DEPTH);
        let Wire(data, created, max_age) = Wire::deserialize(&mut de).map_err(CodecError::new)?;
        Ok(SessionState {
            data,
            created_at: from_unix_millis(created),
            max_age: max_age.map(Duration::from_millis),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_core::JsonCodec;
    use time::macros::datetime;

    fn state(data: Value, max_age: Option<Duration>) -> SessionState {
        SessionState {
            data: data.as_object().cloned().unwrap_or_default(),
            created_at: datetime!(2030-01-01 12:34:56.789 UTC),
            max_age,
        }
    }

    #[test]
    fn round_trips_nested_unicode_and_numbers() {
        let s = state(
            serde_json::json!({
                "user": {"name": "Zoë 😀 中文", "roles": ["admin", null, true]},
                "n": [0, -1, u64::MAX, i64::MIN, 1.5],
                "": {"nested": {"deeper": [[], {}]}}
            }),
            Some(Duration::from_secs(86_400)),
        );
        let bytes = MsgpackCodec.encode(&s, s.created_at).unwrap();
        assert_eq!(MsgpackCodec.decode(&bytes).unwrap(), s);
    }

    #[test]
    fn is_smaller_than_json() {
        let s = state(
            serde_json::json!({"user_id": 123_456, "flags": [true, false], "csrf": "a".repeat(32)}),
            None,
        );
        let packed = MsgpackCodec.encode(&s, s.created_at).unwrap();
        let json = JsonCodec.encode(&s, s.created_at).unwrap();
        assert!(
            packed.len() < json.len(),
            "{} vs {}",
            packed.len(),
            json.len()
        );
    }

    #[test]
    fn refuses_garbage_and_json() {
        assert!(MsgpackCodec.decode(b"\xc1").is_err());
        let json = JsonCodec
            .encode(
                &state(serde_json::json!({"a": 1}), None),
                OffsetDateTime::UNIX_EPOCH,
            )
            .unwrap();
        assert!(MsgpackCodec.decode(&json).is_err());
    }
}
