//! Stores that never wait, called in place rather than through boxed futures.

use time::OffsetDateTime;

use super::StoreError;
use crate::id::SessionId;
use crate::record::Record;

/// The operations of a store that never waits for IO (one in this process, behind a lock),
/// as plain calls.
///
/// A [`Store`](super::Store) that has them returns itself from
/// [`Store::immediate`](super::Store::immediate). The manager then loads a session and
/// applies a request's store operation in place: no boxed future per call, and no request
/// state moved into one. For the memory store that is 3 fewer allocations for a request
/// that reads and writes (`session-core/tests/allocations.rs`), and 1,319 and 940
/// instructions of a `rw` and a `new` (4.2% and 3.6% of an axum request; a `read` costs
/// the same either way; `cargo bench -p session-bench --bench fast_paths`).
///
/// The contract is [`Store`](super::Store)'s, operation for operation, and a store's async
/// methods and these must do the same thing (the usual way: the async ones call these).
/// The methods share `Store`'s names, so code that has both traits in scope calls them as
/// `ImmediateStore::load(&store, ..)`.
///
/// ```
/// use session_core::{ImmediateStore, Record, SessionId, Store, StoreError};
/// use time::OffsetDateTime;
/// /// A store that keeps nothing, and says so at once.
/// struct Forgetful;
/// impl ImmediateStore for Forgetful {
///     fn load(&self, _: &SessionId, _: OffsetDateTime) -> Result<Option<Record>, StoreError> { Ok(None) }
///     fn create(&self, _: &SessionId, _: &Record) -> Result<(), StoreError> { Ok(()) }
///     fn save(&self, _: &SessionId, _: &Record, _: u64) -> Result<(), StoreError> { Err(StoreError::not_found()) }
///     fn touch(&self, _: &SessionId, _: OffsetDateTime) -> Result<(), StoreError> { Ok(()) }
///     fn delete(&self, _: &SessionId) -> Result<(), StoreError> { Ok(()) }
/// }
/// impl Store for Forgetful {
///     async fn load(&self, id: &SessionId, now: OffsetDateTime) -> Result<Option<Record>, StoreError> { ImmediateStore::load(self, id, now) }
///     async fn create(&self, id: &SessionId, r: &Record) -> Result<(), StoreError> { ImmediateStore::create(self, id, r) }
///     async fn save(&self, id: &SessionId, r: &Record, v: u64) -> Result<(), StoreError> { ImmediateStore::save(self, id, r, v) }
///     async fn touch(&self, id: &SessionId, at: OffsetDateTime) -> Result<(), StoreError> { ImmediateStore::touch(self, id, at) }
///     async fn delete(&self, id: &SessionId) -> Result<(), StoreError> { ImmediateStore::delete(self, id) }
///     fn immediate(&self) -> Option<&dyn ImmediateStore> { Some(self) }
/// }
/// assert!(Store::immediate(&Forgetful).is_some());
/// ```
pub trait ImmediateStore: Send + Sync {
    /// See [`Store::load`](super::Store::load).
    fn load(&self, id: &SessionId, now: OffsetDateTime) -> Result<Option<Record>, StoreError>;
    /// See [`Store::create`](super::Store::create).
    fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError>;
    /// See [`Store::save`](super::Store::save).
    fn save(
        &self,
        id: &SessionId,
        record: &Record,
        expected_version: u64,
    ) -> Result<(), StoreError>;
    /// See [`Store::touch`](super::Store::touch).
    fn touch(&self, id: &SessionId, expires_at: OffsetDateTime) -> Result<(), StoreError>;
    /// See [`Store::delete`](super::Store::delete).
    fn delete(&self, id: &SessionId) -> Result<(), StoreError>;
}
