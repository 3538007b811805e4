//! Memory handed back to the system, not only to the allocator, once a spike is gone.
//!
//! glibc's allocator keeps what a process frees for its next allocations: after a million
//! sessions expire, their pages stay resident (130–200 MiB in `tests/memory_spike.rs`) though
//! every byte is freed. Once the shards have freed [`TRIM_STEP`] bytes, the store asks glibc to
//! return its free pages (`malloc_trim`), which brings the process back to within a few MiB of
//! the empty store's. Other allocators (jemalloc, mimalloc) return memory on their own
//! schedule; the call then has little to do.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes the shards hand back to the allocator between two trims: a trim walks the
/// allocator's free lists, so it comes once per many freed sessions (16 MiB is about 200,000
/// small ones), never per removal.
pub(super) const TRIM_STEP: usize = 16 << 20;

/// Counts freed bytes and trims once they reach [`TRIM_STEP`].
#[derive(Default)]
pub(super) struct Trimmer {
    freed: AtomicUsize,
}

impl Trimmer {
    /// Notes `bytes` handed back to the allocator.
    pub(super) fn freed(&self, bytes: usize) {
        if bytes > 0 {
            self.freed.fetch_add(bytes, Ordering::Relaxed);
        }
    }

    /// Returns the allocator's free pages to the system if enough was freed since the last
    /// time. Called with no shard locked.
    pub(super) fn trim_if_due(&self) {
        if self.freed.load(Ordering::Relaxed) < TRIM_STEP {
            return;
        }
        if self.freed.swap(0, Ordering::Relaxed) >= TRIM_STEP {
            return_free_pages();
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)] // the one foreign call of the crate: glibc has no safe wrapper for it
fn return_free_pages() {
    // SAFETY: `malloc_trim` takes no pointer and only releases memory glibc holds free.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_free_pages() {}
