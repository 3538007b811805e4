//! Locking the in-process state the stores share between requests.

use std::sync::{Mutex, MutexGuard};

/// Locks past a poisoned lock: what the stores guard is plain data (maps, queues, buffers),
/// so a panic elsewhere cannot leave it half-updated in a way that matters more than
/// refusing service would.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
