//! # session-stores
//!
//! [`session_core::Store`] implementations, each behind a cargo feature:
//!
//! | feature | store | for |
//! |---|---|---|
//! | `memory` (default) | [`MemoryStore`] | one process; the embedded default |
//!
//! Every store passes the same conformance suite (`session-tests`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "memory")]
mod memory;

#[cfg(feature = "memory")]
pub use memory::{MemoryStore, MemoryStoreBuilder};
