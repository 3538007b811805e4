//! What the PostgreSQL and MySQL tests share: the same cases, a different store type.

use std::future::Future;
use std::time::Duration;

use session_core::{Record, SessionId, Store, StoreError};
use session_stores::sql::cleanup::Cleanup;
use session_tests::store_suite::{or_skip, run_outage_case, run_stall_case, TcpProxy};
use time::OffsetDateTime;

/// The operation timeout of the outage tests: short, so that they are quick.
pub const OUTAGE_TIMEOUT: Duration = Duration::from_millis(700);

/// Five rows expired in 1970 (no other test writes rows that old), one live row; the
/// cleanup, in batches of two, removes the five and keeps the live one.
pub async fn cleanup_in_batches<S: Store + Cleanup>(store: &S) {
    let epoch = OffsetDateTime::UNIX_EPOCH;
    let mut expired = Vec::new();
    for minute in 1..=5 {
        let id = SessionId::generate().unwrap();
        let record = Record::new(b"{}".to_vec(), epoch + Duration::from_secs(60 * minute), 1);
        store.create(&id, &record).await.unwrap();
        expired.push(id);
    }
    let live = SessionId::generate().unwrap();
    let live_record = Record::new(b"{}".to_vec(), epoch + Duration::from_secs(86_400 * 2), 1);
    store.create(&live, &live_record).await.unwrap();

    let removed = store
        .delete_expired(epoch + Duration::from_secs(86_400))
        .await
        .unwrap();
    assert!(removed >= 5, "removed {removed} rows, want at least 5");
    for id in &expired {
        // Loading at the epoch would still find them if they were there.
        assert_eq!(
            store.load(id, epoch).await.unwrap(),
            None,
            "an expired row survived"
        );
    }
    assert_eq!(store.load(&live, epoch).await.unwrap(), Some(live_record));
    store.delete(&live).await.unwrap();
}

/// Connects through a proxy to the server of `url`, then cuts the proxy (outage) or makes it
/// hang (stall) and checks that the store fails in time and recovers.
pub async fn through_a_proxy<S, F, Fut>(name: &str, url: &str, port: u16, stall: bool, connect: F)
where
    S: Store,
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<S, StoreError>>,
{
    let (mut proxy, proxied) = TcpProxy::for_url(url, port).await.unwrap();
    let Some(store) = or_skip(name, connect(proxied).await) else {
        return;
    };
    if stall {
        run_stall_case(name, &store, &mut proxy, OUTAGE_TIMEOUT).await;
    } else {
        run_outage_case(name, &store, &mut proxy, OUTAGE_TIMEOUT).await;
    }
}
