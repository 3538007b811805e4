//! The store suite against the in-process store.

use session_stores::MemoryStore;
use session_tests::store_suite::{run_store_suite, CASES};

#[tokio::test(flavor = "multi_thread")]
async fn memory_store_passes_the_suite() {
    let passed = run_store_suite("memory", MemoryStore::new()).await;
    assert_eq!(passed, CASES.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_small_sharded_memory_store_passes_the_suite() {
    let store = MemoryStore::builder().shards(1).build();
    assert_eq!(
        run_store_suite("memory (1 shard)", store).await,
        CASES.len()
    );
}
