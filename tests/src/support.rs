//! Test doubles shared by the suites: a clock the test moves, and store wrappers.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;

use session_core::{Clock, ImmediateStore, Record, SessionId, Store, StoreError, StoreErrorKind};
use time::OffsetDateTime;

/// A clock that only moves when the test says so. Clones share the same time.
///
/// ```
/// use session_tests::support::TestClock;
/// use session_core::Clock;
/// let clock = TestClock::new();
/// let start = clock.now();
/// clock.advance(std::time::Duration::from_secs(60));
/// assert_eq!((clock.now() - start).whole_seconds(), 60);
/// ```
#[derive(Clone, Debug)]
pub struct TestClock {
    nanos: Arc<AtomicI64>,
}

impl Default for TestClock {
    fn default() -> Self {
        Self::new()
    }
}

impl TestClock {
    /// A clock at 2030-01-01T00:00:00Z.
    pub fn new() -> Self {
        Self::at(time::macros::datetime!(2030-01-01 0:00 UTC))
    }

    /// A clock at `at` (whole nanoseconds within ±292 years of 1970).
    pub fn at(at: OffsetDateTime) -> Self {
        let nanos = i64::try_from(at.unix_timestamp_nanos()).unwrap_or(i64::MAX);
        Self {
            nanos: Arc::new(AtomicI64::new(nanos)),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: std::time::Duration) {
        let by = i64::try_from(by.as_nanos()).unwrap_or(i64::MAX);
        self.nanos.fetch_add(by, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.nanos.load(Ordering::SeqCst)))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// Wraps a store, counting calls and failing every call on demand (as a store that is down).
/// Clones share the counters and the switch.
#[derive(Clone)]
pub struct Instrumented<S> {
    inner: S,
    calls: Arc<AtomicUsize>,
    failing: Arc<AtomicBool>,
}

impl<S: Store + Clone> Instrumented<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            calls: Arc::default(),
            failing: Arc::default(),
        }
    }

    /// Store calls made so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// From now on every call fails with [`StoreErrorKind::Unavailable`] (or works again).
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The wrapped store's immediate calls; only reached when it has them.
    fn inner_now(&self) -> Result<&dyn ImmediateStore, StoreError> {
        self.inner
            .immediate()
            .ok_or_else(|| StoreError::from_kind(StoreErrorKind::Unsupported))
    }

    fn enter(&self) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.failing.load(Ordering::SeqCst) {
            let cause = std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "store is down (test)",
            );
            return Err(StoreError::new(StoreErrorKind::Unavailable, cause));
        }
        Ok(())
    }
}

/// When the wrapped store never waits, so does the wrapper, counting and failing its calls
/// the same way: the suites then drive the manager's immediate path (the memory store's).
impl<S: Store + Clone> ImmediateStore for Instrumented<S> {
    fn load(&self, id: &SessionId, now: OffsetDateTime) -> Result<Option<Record>, StoreError> {
        self.enter()?;
        self.inner_now()?.load(id, now)
    }
    fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        self.enter()?;
        self.inner_now()?.create(id, record)
    }
    fn save(
        &self,
        id: &SessionId,
        record: &Record,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        self.enter()?;
        self.inner_now()?.save(id, record, expected_version)
    }
    fn touch(&self, id: &SessionId, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        self.enter()?;
        self.inner_now()?.touch(id, expires_at)
    }
    fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        self.enter()?;
        self.inner_now()?.delete(id)
    }
}

impl<S: Store + Clone> Store for Instrumented<S> {
    async fn load(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Result<Option<Record>, StoreError> {
        self.enter()?;
        self.inner.load(id, now).await
    }
    async fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        self.enter()?;
        self.inner.create(id, record).await
    }
    async fn save(
        &self,
        id: &SessionId,
        record: &Record,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        self.enter()?;
        self.inner.save(id, record, expected_version).await
    }
    async fn touch(&self, id: &SessionId, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        self.enter()?;
        self.inner.touch(id, expires_at).await
    }
    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        self.enter()?;
        self.inner.delete(id).await
    }
    async fn user_sessions(
        &self,
        user: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(SessionId, Record)>, StoreError> {
        self.enter()?;
        self.inner.user_sessions(user, now).await
    }
    async fn delete_user_sessions(
        &self,
        user: &str,
        except: Option<&SessionId>,
    ) -> Result<u64, StoreError> {
        self.enter()?;
        self.inner.delete_user_sessions(user, except).await
    }
    fn immediate(&self) -> Option<&dyn ImmediateStore> {
        self.inner.immediate().map(|_| self as &dyn ImmediateStore)
    }
}
