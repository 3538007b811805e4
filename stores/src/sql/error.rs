//! sqlx errors as store errors.

use session_core::{StoreError, StoreErrorKind};

/// Classifies a database failure, keeping it as the source.
pub(crate) fn store_error(err: sqlx::Error) -> StoreError {
    StoreError::new(kind_of(&err), err)
}

fn kind_of(err: &sqlx::Error) -> StoreErrorKind {
    match err {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => StoreErrorKind::Timeout,
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreErrorKind::Unavailable,
        sqlx::Error::PoolTimedOut => StoreErrorKind::Timeout,
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreErrorKind::DuplicateId,
        sqlx::Error::Database(db) => database_kind(db.code().as_deref()),
        sqlx::Error::RowNotFound
        | sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_) => StoreErrorKind::Corrupt,
        _ => StoreErrorKind::Backend,
    }
}

/// Server-side codes that mean "not now" rather than "never".
fn database_kind(code: Option<&str>) -> StoreErrorKind {
    match code {
        // SQLSTATE class 08 (connection exception; MySQL/MariaDB report a shutdown as 08S01)
        // and PostgreSQL's 57P0x (shutting down, starting up).
        Some(c) if c.starts_with("08") || c.starts_with("57P0") => StoreErrorKind::Unavailable,
        // SQLite busy or locked past `busy_timeout`.
        Some("5" | "6" | "517") => StoreErrorKind::Timeout,
        _ => StoreErrorKind::Backend,
    }
}

/// A version the database can hold (they are signed 64-bit columns).
pub(crate) fn db_version(version: u64) -> Result<i64, StoreError> {
    i64::try_from(version).map_err(|e| StoreError::new(StoreErrorKind::Backend, e))
}

/// A stored version back; a negative one is not ours.
pub(crate) fn record_version(version: i64) -> Result<u64, StoreError> {
    u64::try_from(version).map_err(|e| StoreError::new(StoreErrorKind::Corrupt, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_outages_and_data_errors() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(
            store_error(sqlx::Error::Io(refused)).kind(),
            StoreErrorKind::Unavailable
        );
        assert_eq!(
            store_error(sqlx::Error::PoolTimedOut).kind(),
            StoreErrorKind::Timeout
        );
        assert_eq!(
            store_error(sqlx::Error::RowNotFound).kind(),
            StoreErrorKind::Corrupt
        );
        assert_eq!(database_kind(Some("57P01")), StoreErrorKind::Unavailable);
        assert_eq!(database_kind(Some("42P01")), StoreErrorKind::Backend);
        assert_eq!(
            record_version(-1).unwrap_err().kind(),
            StoreErrorKind::Corrupt
        );
        assert_eq!(
            db_version(u64::MAX).unwrap_err().kind(),
            StoreErrorKind::Backend
        );
    }
}
