//! The store conformance suite: one set of cases that every [`Store`] must pass.
//!
//! Run it against your own store from an integration test:
//!
//! ```no_run
//! use session_tests::store_suite::run_store_suite;
//! # #[derive(Clone)] struct MyStore;
//! # impl session_core::Store for MyStore {
//! #   async fn load(&self, _: &session_core::SessionId, _: time::OffsetDateTime) -> Result<Option<session_core::Record>, session_core::StoreError> { Ok(None) }
//! #   async fn create(&self, _: &session_core::SessionId, _: &session_core::Record) -> Result<(), session_core::StoreError> { Ok(()) }
//! #   async fn save(&self, _: &session_core::SessionId, _: &session_core::Record, _: u64) -> Result<(), session_core::StoreError> { Ok(()) }
//! #   async fn touch(&self, _: &session_core::SessionId, _: time::OffsetDateTime) -> Result<(), session_core::StoreError> { Ok(()) }
//! #   async fn delete(&self, _: &session_core::SessionId) -> Result<(), session_core::StoreError> { Ok(()) }
//! # }
//! #[tokio::test(flavor = "multi_thread")]
//! async fn my_store_conforms() {
//!     // Panics naming every failed case, e.g. "store `my-store`, case `touch_extends`: ...".
//!     run_store_suite("my-store", MyStore).await;
//! }
//! ```
//!
//! Every case uses fresh random ids and expiries a few minutes after the real time, so the
//! suite can share a server with other tests and leaves nothing behind for long.
//!
//! # The project's own runs
//!
//! `tests/tests/stores_*.rs` run the suite against every store of `session-stores`:
//! memory, SQLite (temporary file), Redis, Redis Cluster (three `redis-server`s the test
//! starts on spare ports), PostgreSQL and MySQL/MariaDB. Servers come from
//! `SESSION_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`),
//! `SESSION_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`) and
//! `SESSION_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`); the outage and
//! cluster tests need `redis-server` and `redis-cli` on the `PATH`. With `CI=true` an
//! unreachable server fails its test; without it the test prints a notice and passes.
//!
//! ```text
//! CI=true cargo test -p session-tests --test stores_memory --test stores_sqlite \
//!     --test stores_redis --test stores_redis_cluster --test stores_postgres --test stores_mysql
//! ```
//!
//! If your store talks to a server, also run [`run_outage_case`] with an [`Outage`] that
//! stops and restarts it (see [`RedisServer`] and [`TcpProxy`]): the store must fail with a
//! typed error within its timeout while the server is down, and work again once it is back.

mod cases;
mod env;
mod outage;
mod proxy;
mod redis_server;
mod user_cases;

use session_core::Store;

pub use cases::CASES;
pub use env::{in_ci, or_skip, test_url};
pub use outage::{run_outage_case, run_stall_case, Outage};
pub use proxy::TcpProxy;
pub use redis_server::{RedisCluster, RedisServer};
pub use user_cases::{run_user_index_suite, USER_INDEX_CASES};

/// Runs every case of [`CASES`] against `store` and panics with the list of failures, each
/// naming `store_name` and the case. Returns the number of cases that passed.
///
/// ```no_run
/// # async fn run() {
/// let passed = session_tests::store_suite::run_store_suite("memory", session_stores::MemoryStore::new()).await;
/// assert_eq!(passed, session_tests::store_suite::CASES.len());
/// # }
/// ```
pub async fn run_store_suite<S: Store + Clone>(store_name: &str, store: S) -> usize {
    let mut failures = Vec::new();
    for case in CASES {
        if let Err(why) = run_case(case, store.clone()).await {
            failures.push(format!("store `{store_name}`, case `{case}`: {why}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} store suite cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
    CASES.len()
}

/// Runs one case of [`CASES`] by name; `Err` says what went wrong.
///
/// ```no_run
/// # async fn run() {
/// let store = session_stores::MemoryStore::new();
/// session_tests::store_suite::run_case("delete", store).await.unwrap();
/// # }
/// ```
pub async fn run_case<S: Store + Clone>(case: &str, store: S) -> Result<(), String> {
    cases::run(case, store).await
}
