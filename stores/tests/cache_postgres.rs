//! The server-invalidated cache on PostgreSQL (`LISTEN/NOTIFY` fed by a trigger): the store
//! suite through it; two instances, where one never reads what the other replaced or
//! revoked (and how long a notification takes); a listening connection that is terminated
//! serves nothing until it is back. One test: they share the table and its notifications.
#![cfg(feature = "postgres")]
#![allow(clippy::disallowed_methods)]

mod cache_kit;

use std::time::Duration;

use cache_kit::{b_never_reads_what_a_replaced, now, record, until_link};
use session_core::{SessionId, Store};
use session_stores::{CachedStore, PostgresStore};
use session_tests::store_suite::{or_skip, run_store_suite, test_url, CASES};

#[tokio::test(flavor = "multi_thread")]
async fn the_cache_on_postgres_is_never_stale() {
    let url = test_url(
        "SESSION_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    );
    let Some(a) = or_skip("postgres", PostgresStore::connect(&url).await) else {
        return;
    };
    a.migrate().await.unwrap();
    let b = PostgresStore::connect(&url).await.unwrap();
    let a = CachedStore::postgres(a).connect().await.unwrap();
    let b = CachedStore::postgres(b)
        .heartbeat(Duration::from_millis(100))
        .connect()
        .await
        .unwrap();

    assert_eq!(
        run_store_suite("cached postgres", a.clone()).await,
        CASES.len()
    );

    b_never_reads_what_a_replaced("postgres", &a, &b, 300, false).await;
    println!("postgres: B's cache: {:?}", b.stats());

    // The listening connection is terminated: the next load goes to the table, fresh.
    let id = SessionId::generate().unwrap();
    a.create(&id, &record(1)).await.unwrap();
    b.load(&id, now()).await.unwrap();
    assert!(b.load(&id, now()).await.unwrap().is_some());
    let hits = b.stats().hits;
    let terminated: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE query = 'SELECT pg_backend_pid()' AND pid <> pg_backend_pid()",
    )
    .fetch_all(&sqlx::PgPool::connect(&url).await.unwrap())
    .await
    .unwrap();
    assert!(!terminated.is_empty(), "no listening connection found");
    a.save(&id, &record(2), 1).await.unwrap();
    assert_eq!(b.load(&id, now()).await.unwrap().unwrap().version, 2);
    assert_eq!(b.stats().hits, hits, "served from memory with the link cut");
    until_link(&b, true, Duration::from_secs(5)).await;
    b.load(&id, now()).await.unwrap();
    assert_eq!(b.load(&id, now()).await.unwrap().unwrap().version, 2);
    assert!(
        b.stats().hits > hits,
        "not cached again once the link was back"
    );
    assert!(b.stats().link_losses >= 1);
    a.delete(&id).await.unwrap();
}
