//! The store suite against PostgreSQL (`SESSION_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`). Without `CI=true`, skipped with a notice when
//! the server is unreachable.

mod sql_common;

use session_core::StoreError;
use session_stores::PostgresStore;
use session_tests::store_suite::{or_skip, run_store_suite, test_url, CASES};
use sql_common::OUTAGE_TIMEOUT;

fn url() -> String {
    test_url(
        "SESSION_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    )
}

async fn connect(url: String, batch: u32) -> Result<PostgresStore, StoreError> {
    let store = PostgresStore::builder(&url)
        .timeout(OUTAGE_TIMEOUT)
        .cleanup_batch(batch)
        .connect()
        .await?;
    store.migrate().await?;
    Ok(store)
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_store_passes_the_suite() {
    let Some(store) = or_skip("postgres", connect(url(), 1000).await) else {
        return;
    };
    assert_eq!(run_store_suite("postgres", store).await, CASES.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_cleanup_deletes_in_batches() {
    let Some(store) = or_skip("postgres", connect(url(), 2).await) else {
        return;
    };
    store.migrate().await.unwrap();
    sql_common::cleanup_in_batches(&store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_down_gives_a_typed_error_and_recovers() {
    sql_common::through_a_proxy("postgres", &url(), 5432, false, |u| connect(u, 1000)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_hanging_times_out_and_recovers() {
    sql_common::through_a_proxy("postgres", &url(), 5432, true, |u| connect(u, 1000)).await;
}
