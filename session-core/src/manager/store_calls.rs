//! The store calls `finish` makes, over either kind of store, so that one sequence (create,
//! compare-and-set save with its conflict policy, touch, delete) serves both.

use std::future::{ready, Future};

use time::OffsetDateTime;

use super::SessionManager;
use crate::id::SessionId;
use crate::observe::Op;
use crate::record::Record;
use crate::store::{DynStore, ImmediateStore, StoreError};

impl SessionManager {
    /// A store call, timed and traced under this manager's store's name (see
    /// [`crate::observe`]).
    pub(super) async fn store_call<T>(
        &self,
        op: Op,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.inner.instruments.store_call(op, call).await
    }
}

/// A store as `apply_to_store` calls it: a networked store's calls are boxed futures; an
/// immediate store's are ready at once, so the sequence over one finishes in its first poll.
pub(super) trait StoreCalls: Sync {
    fn load<'a>(
        &'a self,
        id: &'a SessionId,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<Record>, StoreError>> + Send + 'a;
    fn create<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a;
    fn save<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a;
    fn touch<'a>(
        &'a self,
        id: &'a SessionId,
        expires_at: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a;
    fn delete<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a;
}

impl<'s> StoreCalls for dyn DynStore + 's {
    fn load<'a>(
        &'a self,
        id: &'a SessionId,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<Record>, StoreError>> + Send + 'a {
        DynStore::load(self, id, now)
    }
    fn create<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        DynStore::create(self, id, record)
    }
    fn save<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        DynStore::save(self, id, record, expected_version)
    }
    fn touch<'a>(
        &'a self,
        id: &'a SessionId,
        expires_at: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        DynStore::touch(self, id, expires_at)
    }
    fn delete<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        DynStore::delete(self, id)
    }
}

impl<'s> StoreCalls for dyn ImmediateStore + 's {
    fn load<'a>(
        &'a self,
        id: &'a SessionId,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<Record>, StoreError>> + Send + 'a {
        ready(ImmediateStore::load(self, id, now))
    }
    fn create<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        ready(ImmediateStore::create(self, id, record))
    }
    fn save<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        ready(ImmediateStore::save(self, id, record, expected_version))
    }
    fn touch<'a>(
        &'a self,
        id: &'a SessionId,
        expires_at: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        ready(ImmediateStore::touch(self, id, expires_at))
    }
    fn delete<'a>(
        &'a self,
        id: &'a SessionId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        ready(ImmediateStore::delete(self, id))
    }
}
