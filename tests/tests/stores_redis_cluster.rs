//! The store suite against a Redis Cluster of three masters the test starts itself, through
//! the same `RedisStore` as a single node: only the URL list changes.

use std::time::Duration;

use session_stores::RedisStore;
use session_tests::store_suite::{or_skip, run_store_suite, RedisCluster, CASES};

#[tokio::test(flavor = "multi_thread")]
async fn redis_cluster_store_passes_the_suite() {
    let Some(cluster) = or_skip("redis-server (cluster)", RedisCluster::start().await) else {
        return;
    };
    let store = RedisStore::builder(cluster.urls())
        .timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap();
    assert_eq!(run_store_suite("redis-cluster", store).await, CASES.len());

    // One seed is enough when the store is told it is a cluster.
    let one_seed = RedisStore::builder([cluster.urls()[1].clone()])
        .cluster(true)
        .connect()
        .await
        .unwrap();
    assert_eq!(
        run_store_suite("redis-cluster (one seed)", one_seed).await,
        CASES.len()
    );
}
