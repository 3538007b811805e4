//! The store suite against MySQL or MariaDB (`SESSION_TEST_MYSQL_URL`, default
//! `mysql://root@127.0.0.1:3306/test`). Without `CI=true`, skipped with a notice when
//! the server is unreachable.

mod sql_common;

use session_core::StoreError;
use session_stores::MySqlStore;
use session_tests::store_suite::{or_skip, run_store_suite, test_url, CASES};
use sql_common::OUTAGE_TIMEOUT;

fn url() -> String {
    test_url("SESSION_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
}

async fn connect(url: String, batch: u32) -> Result<MySqlStore, StoreError> {
    let store = MySqlStore::builder(&url)
        .timeout(OUTAGE_TIMEOUT)
        .cleanup_batch(batch)
        .connect()
        .await?;
    store.migrate().await?;
    Ok(store)
}

#[tokio::test(flavor = "multi_thread")]
async fn mysql_store_passes_the_suite() {
    let Some(store) = or_skip("mysql", connect(url(), 1000).await) else {
        return;
    };
    assert_eq!(run_store_suite("mysql", store).await, CASES.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn mysql_cleanup_deletes_in_batches() {
    let Some(store) = or_skip("mysql", connect(url(), 2).await) else {
        return;
    };
    store.migrate().await.unwrap();
    sql_common::cleanup_in_batches(&store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mysql_down_gives_a_typed_error_and_recovers() {
    sql_common::through_a_proxy("mysql", &url(), 3306, false, |u| connect(u, 1000)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mysql_hanging_times_out_and_recovers() {
    sql_common::through_a_proxy("mysql", &url(), 3306, true, |u| connect(u, 1000)).await;
}
