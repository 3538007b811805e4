//! The storage contract: bytes and an absolute expiry in, typed errors out.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::id::SessionId;
use crate::record::Record;

mod immediate;

pub use immediate::ImmediateStore;

/// A boxed future, for [`DynStore`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where sessions live. Implement this for a new backend; the manager uses it through
/// [`DynStore`], which every `Store` gets for free.
///
/// The contract, which [`session-tests`' store suite] checks:
/// - `load` returns `None` for an id that is unknown or whose `expires_at <= now`, whether or
///   not a cleanup ran. Stores never read the clock: `now` is passed in.
/// - `create` inserts only if the id is free, else [`StoreErrorKind::DuplicateId`], so a
///   colliding id can never overwrite another user's session.
/// - `save` replaces the record only if the stored version equals `expected_version`
///   ([`StoreErrorKind::Conflict`] otherwise, [`StoreErrorKind::NotFound`] if it is gone). It
///   is all-or-nothing: never a half-written record.
/// - `touch` moves the expiry without rewriting the payload; a missing id is not an error.
/// - `delete` of a missing id is not an error.
/// - Failures of the backend are errors ([`StoreErrorKind::Unavailable`],
///   [`StoreErrorKind::Timeout`], ...), never panics.
///
/// [`session-tests`' store suite]: https://docs.rs/session-tests
///
/// ```
/// use session_core::{Record, SessionId, Store, StoreError};
/// use time::OffsetDateTime;
/// /// A store that keeps nothing.
/// struct Forgetful;
/// impl Store for Forgetful {
///     async fn load(&self, _: &SessionId, _: OffsetDateTime) -> Result<Option<Record>, StoreError> { Ok(None) }
///     async fn create(&self, _: &SessionId, _: &Record) -> Result<(), StoreError> { Ok(()) }
///     async fn save(&self, _: &SessionId, _: &Record, _: u64) -> Result<(), StoreError> { Err(StoreError::not_found()) }
///     async fn touch(&self, _: &SessionId, _: OffsetDateTime) -> Result<(), StoreError> { Ok(()) }
///     async fn delete(&self, _: &SessionId) -> Result<(), StoreError> { Ok(()) }
/// }
/// ```
pub trait Store: Send + Sync + 'static {
    /// The live record of `id`, if any.
    fn load(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<Record>, StoreError>> + Send;
    /// Inserts a new record; refuses an id that exists.
    fn create(
        &self,
        id: &SessionId,
        record: &Record,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Replaces a record if its stored version is `expected_version`.
    fn save(
        &self,
        id: &SessionId,
        record: &Record,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Moves a record's expiry.
    fn touch(
        &self,
        id: &SessionId,
        expires_at: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Removes a record.
    fn delete(&self, id: &SessionId) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The live records bound to `user` (see [`Record::user`]), in no particular order.
    /// Stores without a user index keep the default, which fails with
    /// [`StoreErrorKind::Unsupported`].
    fn user_sessions(
        &self,
        user: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Vec<(SessionId, Record)>, StoreError>> + Send {
        let _ = (user, now);
        std::future::ready(Err(StoreError::from_kind(StoreErrorKind::Unsupported)))
    }
    /// Deletes every record bound to `user` except `except`; returns how many went. The
    /// default fails with [`StoreErrorKind::Unsupported`].
    fn delete_user_sessions(
        &self,
        user: &str,
        except: Option<&SessionId>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send {
        let _ = (user, except);
        std::future::ready(Err(StoreError::from_kind(StoreErrorKind::Unsupported)))
    }
    /// This store's operations as plain calls, when it never waits for IO (see
    /// [`ImmediateStore`]); the manager then calls them in place, with no boxed future. The
    /// default, `None`, is right for every networked store, and for a wrapper that must see
    /// every call (a wrapper forwards this only if its own calls are immediate too).
    fn immediate(&self) -> Option<&dyn ImmediateStore> {
        None
    }
    /// The `backend` label of this store's metrics and spans (`memory`, `redis`,
    /// `postgres`, ...). The default is the type's name (`MyStore`).
    fn backend_name(&self) -> &'static str {
        short_type_name(std::any::type_name::<Self>())
    }
}

/// `a::b::Name<c::D>` as `Name`.
fn short_type_name(full: &'static str) -> &'static str {
    let plain = full.split('<').next().unwrap_or(full);
    plain.rsplit("::").next().unwrap_or(plain)
}

/// The object-safe twin of [`Store`], so that a manager can hold `Arc<dyn DynStore>`.
/// Implemented for every [`Store`]; implement `Store`, not this.
pub trait DynStore: Send + Sync + 'static {
    /// See [`Store::load`].
    fn load<'a>(
        &'a self,
        id: &'a SessionId,
        now: OffsetDateTime,
    ) -> BoxFuture<'a, Result<Option<Record>, StoreError>>;
    /// See [`Store::create`].
    fn create<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    /// See [`Store::save`].
    fn save<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
        expected_version: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    /// See [`Store::touch`].
    fn touch<'a>(
        &'a self,
        id: &'a SessionId,
        expires_at: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    /// See [`Store::delete`].
    fn delete<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<(), StoreError>>;
    /// See [`Store::user_sessions`].
    fn user_sessions<'a>(
        &'a self,
        user: &'a str,
        now: OffsetDateTime,
    ) -> BoxFuture<'a, Result<Vec<(SessionId, Record)>, StoreError>>;
    /// See [`Store::delete_user_sessions`].
    fn delete_user_sessions<'a>(
        &'a self,
        user: &'a str,
        except: Option<&'a SessionId>,
    ) -> BoxFuture<'a, Result<u64, StoreError>>;
    /// See [`Store::immediate`].
    fn immediate(&self) -> Option<&dyn ImmediateStore> {
        None
    }
    /// See [`Store::backend_name`].
    fn backend_name(&self) -> &'static str;
}

impl<S: Store> DynStore for S {
    fn load<'a>(
        &'a self,
        id: &'a SessionId,
        now: OffsetDateTime,
    ) -> BoxFuture<'a, Result<Option<Record>, StoreError>> {
        Box::pin(Store::load(self, id, now))
    }
    fn create<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(Store::create(self, id, record))
    }
    fn save<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
        expected_version: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(Store::save(self, id, record, expected_version))
    }
    fn touch<'a>(
        &'a self,
        id: &'a SessionId,
        expires_at: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(Store::touch(self, id, expires_at))
    }
    fn delete<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(Store::delete(self, id))
    }
    fn user_sessions<'a>(
        &'a self,
        user: &'a str,
        now: OffsetDateTime,
    ) -> BoxFuture<'a, Result<Vec<(SessionId, Record)>, StoreError>> {
        Box::pin(Store::user_sessions(self, user, now))
    }
    fn delete_user_sessions<'a>(
        &'a self,
        user: &'a str,
        except: Option<&'a SessionId>,
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(Store::delete_user_sessions(self, user, except))
    }
    fn immediate(&self) -> Option<&dyn ImmediateStore> {
        Store::immediate(self)
    }
    fn backend_name(&self) -> &'static str {
        Store::backend_name(self)
    }
}

impl<S: Store> Store for Arc<S> {
    fn load(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<Record>, StoreError>> + Send {
        S::load(self, id, now)
    }
    fn create(
        &self,
        id: &SessionId,
        record: &Record,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        S::create(self, id, record)
    }
    fn save(
        &self,
        id: &SessionId,
        record: &Record,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        S::save(self, id, record, expected_version)
    }
    fn touch(
        &self,
        id: &SessionId,
        expires_at: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        S::touch(self, id, expires_at)
    }
    fn delete(&self, id: &SessionId) -> impl Future<Output = Result<(), StoreError>> + Send {
        S::delete(self, id)
    }
    fn user_sessions(
        &self,
        user: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Vec<(SessionId, Record)>, StoreError>> + Send {
        S::user_sessions(self, user, now)
    }
    fn delete_user_sessions(
        &self,
        user: &str,
        except: Option<&SessionId>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send {
        S::delete_user_sessions(self, user, except)
    }
    fn immediate(&self) -> Option<&dyn ImmediateStore> {
        S::immediate(self)
    }
    fn backend_name(&self) -> &'static str {
        S::backend_name(self)
    }
}

/// What kind of failure a store reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The backend cannot be reached (connection refused, reset, no cluster quorum).
    Unavailable,
    /// The backend did not answer within the configured timeout.
    Timeout,
    /// A compare-and-set save found another version.
    Conflict,
    /// `create` found the id taken.
    DuplicateId,
    /// `save` found no record.
    NotFound,
    /// The backend returned data that is not a record.
    Corrupt,
    /// The backend refused the operation (full, read-only, bad query, ...).
    Backend,
    /// The store does not implement this operation (e.g. it keeps no user index).
    Unsupported,
}

/// A store failure: a kind to act on and the backend's error as the source.
///
/// ```
/// use session_core::{StoreError, StoreErrorKind};
/// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
/// let err = StoreError::new(StoreErrorKind::Unavailable, io);
/// assert_eq!(err.kind(), StoreErrorKind::Unavailable);
/// assert!(std::error::Error::source(&err).is_some());
/// ```
#[derive(Debug)]
pub struct StoreError {
    kind: StoreErrorKind,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// An error of `kind` caused by `source`.
    pub fn new(
        kind: StoreErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            kind,
            source: Some(source.into()),
        }
    }
    /// An error of `kind` with no further cause.
    pub fn from_kind(kind: StoreErrorKind) -> Self {
        Self { kind, source: None }
    }
    /// A compare-and-set conflict.
    pub fn conflict() -> Self {
        Self::from_kind(StoreErrorKind::Conflict)
    }
    /// `create` found the id taken.
    pub fn duplicate_id() -> Self {
        Self::from_kind(StoreErrorKind::DuplicateId)
    }
    /// `save` found no record.
    pub fn not_found() -> Self {
        Self::from_kind(StoreErrorKind::NotFound)
    }
    /// The kind of failure.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }
    /// Whether retrying later may help (the backend is down or slow).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self.kind,
            StoreErrorKind::Unavailable | StoreErrorKind::Timeout
        )
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            StoreErrorKind::Unavailable => "session store unavailable",
            StoreErrorKind::Timeout => "session store timed out",
            StoreErrorKind::Conflict => "session record changed concurrently",
            StoreErrorKind::DuplicateId => "session id already exists",
            StoreErrorKind::NotFound => "session record not found",
            StoreErrorKind::Corrupt => "session store returned corrupt data",
            StoreErrorKind::Backend => "session store refused the operation",
            StoreErrorKind::Unsupported => "the session store does not support this operation",
        };
        match &self.source {
            Some(source) => write!(f, "{what}: {source}"),
            None => f.write_str(what),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}
