//! Redis errors as store errors.

use redis::{ErrorKind, RedisError, ServerErrorKind};
use session_core::{StoreError, StoreErrorKind};

/// Classifies a Redis failure, keeping it as the source.
pub(crate) fn store_error(err: RedisError) -> StoreError {
    StoreError::new(kind_of(&err), err)
}

fn kind_of(err: &RedisError) -> StoreErrorKind {
    if err.is_timeout() {
        return StoreErrorKind::Timeout;
    }
    if err.is_connection_refusal() || err.is_connection_dropped() || err.is_io_error() {
        return StoreErrorKind::Unavailable;
    }
    match err.kind() {
        ErrorKind::ClusterConnectionNotFound
        | ErrorKind::Server(
            ServerErrorKind::BusyLoading
            | ServerErrorKind::TryAgain
            | ServerErrorKind::ClusterDown
            | ServerErrorKind::MasterDown,
        ) => StoreErrorKind::Unavailable,
        ErrorKind::Parse | ErrorKind::UnexpectedReturnType => StoreErrorKind::Corrupt,
        _ => StoreErrorKind::Backend,
    }
}
