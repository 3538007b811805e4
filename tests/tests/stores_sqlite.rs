//! The store suite against SQLite, in a temporary file.

use std::path::PathBuf;
use std::time::Duration;

use session_core::{Record, SessionId, Store};
use session_stores::SqliteStore;
use session_tests::store_suite::{run_store_suite, CASES};
use time::OffsetDateTime;

/// A database file removed when the test ends.
struct TempDb(PathBuf);

impl TempDb {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "session-tests-{name}-{}-{}.db",
            std::process::id(),
            SessionId::generate().unwrap().as_str()
        ));
        Self(path)
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.0.display())
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

async fn store(db: &TempDb, batch: u32) -> SqliteStore {
    let store = SqliteStore::builder(&db.url())
        .cleanup_batch(batch)
        .connect()
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_store_passes_the_suite() {
    let db = TempDb::new("suite");
    assert_eq!(
        run_store_suite("sqlite", store(&db, 1000).await).await,
        CASES.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_survive_reopening_the_file() {
    let db = TempDb::new("reopen");
    let id = SessionId::generate().unwrap();
    let expires = time::macros::datetime!(2100-01-01 0:00 UTC);
    let record = Record::new(b"{\"kept\":true}".to_vec(), expires, 1);
    {
        let first = store(&db, 1000).await;
        first.create(&id, &record).await.unwrap();
        first.pool().close().await;
    }
    let second = store(&db, 1000).await;
    let now = time::macros::datetime!(2030-01-01 0:00 UTC);
    assert_eq!(second.load(&id, now).await.unwrap(), Some(record));
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_twice_is_harmless() {
    let db = TempDb::new("migrate");
    let store = store(&db, 1000).await;
    store.migrate().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn cleanup_deletes_expired_rows_in_batches_and_keeps_live_ones() {
    let db = TempDb::new("cleanup");
    let store = store(&db, 2).await;
    let epoch = OffsetDateTime::UNIX_EPOCH;
    for minute in 1..=5 {
        let id = SessionId::generate().unwrap();
        let record = Record::new(b"{}".to_vec(), epoch + Duration::from_secs(60 * minute), 1);
        store.create(&id, &record).await.unwrap();
    }
    let live = SessionId::generate().unwrap();
    let live_record = Record::new(b"{}".to_vec(), epoch + Duration::from_secs(86_400 * 2), 1);
    store.create(&live, &live_record).await.unwrap();

    // Five expired rows in batches of two: three statements, one loop.
    let removed = store
        .delete_expired(epoch + Duration::from_secs(86_400))
        .await
        .unwrap();
    assert_eq!(removed, 5);
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM http_sessions")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(left, 1);
    assert_eq!(store.load(&live, epoch).await.unwrap(), Some(live_record));
    assert_eq!(
        store
            .delete_expired(epoch + Duration::from_secs(86_400))
            .await
            .unwrap(),
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cleanup_task_runs_on_its_interval() {
    let db = TempDb::new("cleanup-task");
    let store = store(&db, 1000).await;
    let epoch = OffsetDateTime::UNIX_EPOCH;
    let id = SessionId::generate().unwrap();
    store
        .create(
            &id,
            &Record::new(b"{}".to_vec(), epoch + Duration::from_secs(1), 1),
        )
        .await
        .unwrap();
    let clock = move || epoch + Duration::from_secs(60);
    let task = session_stores::sql::cleanup::spawn_cleanup(
        store.clone(),
        Duration::from_millis(20),
        clock,
    );
    let mut gone = false;
    for _ in 0..100 {
        let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM http_sessions")
            .fetch_one(store.pool())
            .await
            .unwrap();
        if rows == 0 {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    task.abort();
    assert!(gone, "the cleanup task never deleted the expired row");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_msgpack_codec_works_through_a_store() {
    use session_core::{Codec, SessionState};
    use session_stores::MsgpackCodec;
    let db = TempDb::new("msgpack");
    let store = store(&db, 1000).await;
    let state = SessionState {
        data: serde_json::json!({"user": {"name": "Zoë", "ids": [1, 2, 3]}})
            .as_object()
            .unwrap()
            .clone(),
        created_at: time::macros::datetime!(2030-01-01 0:00 UTC),
        max_age: None,
    };
    let expires = time::macros::datetime!(2030-01-02 0:00 UTC);
    let id = SessionId::generate().unwrap();
    let payload = MsgpackCodec.encode(&state, expires).unwrap();
    store
        .create(&id, &Record::new(payload, expires, 1))
        .await
        .unwrap();
    let loaded = store.load(&id, state.created_at).await.unwrap().unwrap();
    assert_eq!(MsgpackCodec.decode(&loaded.payload).unwrap(), state);
}
