//! Redis errors as store errors.

use redis::{ErrorKind, RedisError, ServerErrorKind};
use session_core::{StoreError, StoreErrorKind};

/// Classifies a Redis failure, keeping it as the source.
pub(crate) fn store_error(err: RedisError) -> StoreError {
    StoreError::new(kind_of(&err), err)
}

/// Like [`store_error`], for a failed connect: a TLS certificate that was not trusted says
/// so (a wrong or missing CA is a setting to fix, not an outage).
pub(crate) fn connect_error(err: RedisError) -> StoreError {
    let text = err.to_string();
    if text.contains("invalid peer certificate") {
        return StoreError::new(
            StoreErrorKind::Backend,
            format!(
                "the Redis server's TLS certificate was not trusted (give its CA with \
                 `RedisStoreBuilder::tls_ca_pem`): {text}"
            ),
        );
    }
    store_error(err)
}

fn kind_of(err: &RedisError) -> StoreErrorKind {
    if err.is_timeout() {
        return StoreErrorKind::Timeout;
    }
    if err.is_connection_refusal() || err.is_connection_dropped() || err.is_io_error() {
        return StoreErrorKind::Unavailable;
    }
    match err.kind() {
        // No sentinel names a reachable master: a failover in progress (also a master name
        // the sentinels do not know, which looks the same to them).
        ErrorKind::ClusterConnectionNotFound
        | ErrorKind::MasterNameNotFoundBySentinel
        | ErrorKind::Server(
            ServerErrorKind::BusyLoading
            // Slots moving (a cluster failover) faster than the client's retries follow.
            | ServerErrorKind::Moved
            | ServerErrorKind::Ask
            | ServerErrorKind::TryAgain
            | ServerErrorKind::ClusterDown
            | ServerErrorKind::MasterDown,
        ) => StoreErrorKind::Unavailable,
        ErrorKind::Parse | ErrorKind::UnexpectedReturnType => StoreErrorKind::Corrupt,
        _ => StoreErrorKind::Backend,
    }
}
