//! How a record is laid out in a Redis string value.
//!
//! `version` (8 bytes, big-endian) ++ `expires_at` (8 bytes, big-endian Unix milliseconds)
//! ++ payload. One string instead of a hash so that a load is one `GET` and the version can
//! be compared inside a script with one `GETRANGE`, whatever the payload's size.

use session_core::{from_unix_millis, unix_millis, Record, StoreError, StoreErrorKind};

/// Bytes before the payload.
pub(crate) const HEADER_LEN: usize = 16;

/// The stored value of `record`.
pub(crate) fn encode(record: &Record) -> Vec<u8> {
    let mut value = Vec::with_capacity(HEADER_LEN + record.payload.len());
    value.extend_from_slice(&record.version.to_be_bytes());
    value.extend_from_slice(&unix_millis(record.expires_at).to_be_bytes());
    value.extend_from_slice(&record.payload);
    value
}

/// The version as the save script compares it.
pub(crate) fn version_bytes(version: u64) -> [u8; 8] {
    version.to_be_bytes()
}

/// The expiry as the touch script writes it.
pub(crate) fn expiry_bytes(expires_ms: i64) -> [u8; 8] {
    expires_ms.to_be_bytes()
}

/// A stored value back as a record.
pub(crate) fn decode(mut value: Vec<u8>) -> Result<Record, StoreError> {
    if value.len() < HEADER_LEN {
        return Err(StoreError::new(
            StoreErrorKind::Corrupt,
            format!("redis value of {} bytes has no record header", value.len()),
        ));
    }
    let mut version = [0; 8];
    version.copy_from_slice(&value[..8]);
    let mut expires = [0; 8];
    expires.copy_from_slice(&value[8..HEADER_LEN]);
    value.drain(..HEADER_LEN);
    Ok(Record::new(
        value,
        from_unix_millis(i64::from_be_bytes(expires)),
        u64::from_be_bytes(version),
    ))
}

/// Redis refuses expiry instants that are not positive; anything that early is long gone.
pub(crate) fn pexpireat_arg(expires_ms: i64) -> i64 {
    expires_ms.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn round_trips_and_rejects_short_values() {
        let record = Record::new(b"\0payload".to_vec(), datetime!(2030-01-01 0:00 UTC), 7);
        let value = encode(&record);
        assert_eq!(&value[..8], &version_bytes(7));
        assert_eq!(decode(value).unwrap(), record);
        let err = decode(vec![1, 2, 3]).unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Corrupt);
    }
}
