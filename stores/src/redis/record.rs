//! How a record is laid out in a Redis string value.
//!
//! Two layouts, told apart by the first byte:
//!
//! - without a user: `version` (8 bytes, big-endian) ++ `expires_at` (8 bytes, big-endian
//!   Unix milliseconds) ++ payload. The first byte is 0: versions never reach 2^56.
//! - with a user (the user index): `0xFF` ++ `version` ++ `expires_at` ++ user length
//!   (2 bytes, big-endian) ++ user (UTF-8) ++ payload.
//!
//! Records without a user keep the first layout, so values written before the user index
//! existed, and by older versions of this crate, still load and save. One string instead of
//! a hash so that a load is one `GET` and the version can be compared inside a script with
//! one `GETRANGE`, whatever the payload's size.

use session_core::{from_unix_millis, unix_millis, Record, StoreError, StoreErrorKind};

/// Bytes before the payload in the layout without a user.
pub(crate) const HEADER_LEN: usize = 16;

/// First byte of the layout with a user.
const WITH_USER: u8 = 0xFF;

/// The stored value of `record`; fails for a user id longer than 65535 bytes.
pub(crate) fn encode(record: &Record) -> Result<Vec<u8>, StoreError> {
    let user = record.user.as_deref().unwrap_or_default();
    let mut value = Vec::with_capacity(HEADER_LEN + 3 + user.len() + record.payload.len());
    if record.user.is_some() {
        value.push(WITH_USER);
    }
    value.extend_from_slice(&record.version.to_be_bytes());
    value.extend_from_slice(&unix_millis(record.expires_at).to_be_bytes());
    if record.user.is_some() {
        let len = u16::try_from(user.len()).map_err(|_| {
            StoreError::new(
                StoreErrorKind::Backend,
                format!("a user id of {} bytes is over 65535", user.len()),
            )
        })?;
        value.extend_from_slice(&len.to_be_bytes());
        value.extend_from_slice(user.as_bytes());
    }
    value.extend_from_slice(&record.payload);
    Ok(value)
}

/// The version as the save script compares it.
pub(crate) fn version_bytes(version: u64) -> [u8; 8] {
    version.to_be_bytes()
}

/// The expiry as the touch script writes it.
pub(crate) fn expiry_bytes(expires_ms: i64) -> [u8; 8] {
    expires_ms.to_be_bytes()
}

fn corrupt(len: usize) -> StoreError {
    StoreError::new(
        StoreErrorKind::Corrupt,
        format!("redis value of {len} bytes has no record header"),
    )
}

/// A stored value back as a record.
pub(crate) fn decode(mut value: Vec<u8>) -> Result<Record, StoreError> {
    let with_user = value.first() == Some(&WITH_USER);
    let start = usize::from(with_user);
    let Some(header) = value.get(start..start + HEADER_LEN) else {
        return Err(corrupt(value.len()));
    };
    let mut version = [0; 8];
    version.copy_from_slice(&header[..8]);
    let mut expires = [0; 8];
    expires.copy_from_slice(&header[8..]);
    let mut end = start + HEADER_LEN;
    let mut user = None;
    if with_user {
        let Some(len) = value.get(end..end + 2) else {
            return Err(corrupt(value.len()));
        };
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let Some(name) = value.get(end + 2..end + 2 + len) else {
            return Err(corrupt(value.len()));
        };
        let name =
            std::str::from_utf8(name).map_err(|e| StoreError::new(StoreErrorKind::Corrupt, e))?;
        user = Some(name.to_owned());
        end += 2 + len;
    }
    value.drain(..end);
    Ok(Record::new(
        value,
        from_unix_millis(i64::from_be_bytes(expires)),
        u64::from_be_bytes(version),
    )
    .with_user(user))
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
        let value = encode(&record).unwrap();
        assert_eq!(&value[..8], &version_bytes(7));
        assert_eq!(decode(value).unwrap(), record);
        let err = decode(vec![1, 2, 3]).unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Corrupt);
    }

    #[test]
    fn user_layout_round_trips_and_keeps_the_old_one_readable() {
        let at = datetime!(2030-01-01 0:00 UTC);
        let record = Record::new(b"{}".to_vec(), at, 3).with_user(Some("ann".into()));
        let value = encode(&record).unwrap();
        assert_eq!(value[0], WITH_USER);
        assert_eq!(&value[1..9], &version_bytes(3));
        assert_eq!(decode(value).unwrap(), record);
        let truncated = encode(&record).unwrap()[..18].to_vec();
        assert_eq!(
            decode(truncated).unwrap_err().kind(),
            StoreErrorKind::Corrupt
        );
        let too_long = record.with_user(Some("x".repeat(70_000)));
        assert!(encode(&too_long).is_err());
    }
}
