//! The per-operation time limit shared by the networked stores.

use std::future::Future;
use std::time::Duration;

use session_core::{StoreError, StoreErrorKind};

/// The time limit every networked store applies to each operation unless told otherwise.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs `op`, turning "no answer within `limit`" into [`StoreErrorKind::Timeout`]: a server
/// that stopped answering must cost a request its time limit, never hang it.
pub(crate) async fn within<T>(
    limit: Duration,
    op: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(limit, op).await {
        Ok(result) => result,
        Err(elapsed) => Err(StoreError::new(StoreErrorKind::Timeout, elapsed)),
    }
}
