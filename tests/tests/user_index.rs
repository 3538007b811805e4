//! The user-index cases (list and revoke a user's sessions) against every store that keeps
//! the index: memory, SQLite, Redis (one node and a cluster), PostgreSQL and MySQL/MariaDB. Network backends come
//! from `SESSION_TEST_*_URL` and are skipped with a notice when unreachable, unless
//! `CI=true` (MySQL is skipped unless `SESSION_TEST_MYSQL_URL` is set or CI is on).

use session_stores::{MemoryStore, MySqlStore, PostgresStore, RedisStore, SqliteStore};
use session_tests::store_suite::{
    in_ci, or_skip, run_user_index_suite, test_url, RedisCluster, USER_INDEX_CASES,
};

#[tokio::test(flavor = "multi_thread")]
async fn memory_keeps_the_user_index() {
    let n = run_user_index_suite("memory", MemoryStore::new()).await;
    assert_eq!(n, USER_INDEX_CASES.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_keeps_the_user_index() {
    let dir = std::env::temp_dir().join(format!("user-index-{}.db", std::process::id()));
    let store = SqliteStore::connect(&format!("sqlite://{}", dir.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let n = run_user_index_suite("sqlite", store).await;
    assert_eq!(n, USER_INDEX_CASES.len());
    let _ = std::fs::remove_file(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_keeps_the_user_index() {
    let url = test_url("SESSION_TEST_REDIS_URL", "redis://127.0.0.1:6379");
    let prefix = format!("test:user-index:{}:", std::process::id());
    let connected = RedisStore::builder([url]).prefix(prefix).connect().await;
    let Some(store) = or_skip("redis", connected) else {
        return;
    };
    let n = run_user_index_suite("redis", store).await;
    assert_eq!(n, USER_INDEX_CASES.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_cluster_keeps_the_user_index() {
    let Some(cluster) = or_skip("redis-server (cluster)", RedisCluster::start().await) else {
        return;
    };
    let store = RedisStore::builder(cluster.urls()).connect().await.unwrap();
    let n = run_user_index_suite("redis-cluster", store).await;
    assert_eq!(n, USER_INDEX_CASES.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_the_user_index() {
    let url = test_url(
        "SESSION_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    );
    let connected = async {
        let store = PostgresStore::connect(&url).await?;
        store.migrate().await?;
        Ok::<_, session_core::StoreError>(store)
    };
    let Some(store) = or_skip("postgres", connected.await) else {
        return;
    };
    let n = run_user_index_suite("postgres", store).await;
    assert_eq!(n, USER_INDEX_CASES.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn mysql_keeps_the_user_index() {
    if std::env::var_os("SESSION_TEST_MYSQL_URL").is_none() && !in_ci() {
        eprintln!("NOTICE: skipping MySQL user-index cases: SESSION_TEST_MYSQL_URL is unset");
        return;
    }
    let url = test_url("SESSION_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test");
    let connected = async {
        let store = MySqlStore::connect(&url).await?;
        store.migrate().await?;
        Ok::<_, session_core::StoreError>(store)
    };
    let Some(store) = or_skip("mysql", connected.await) else {
        return;
    };
    let n = run_user_index_suite("mysql", store).await;
    assert_eq!(n, USER_INDEX_CASES.len());
}

mod through_the_manager {
    use session_core::{
        Clock, HttpRequest, JwtFormat, Session, SessionError, SessionManager, StatelessKeys,
        StoreErrorKind,
    };
    use session_stores::MemoryStore;
    use session_tests::http_suite::{base_config, SECRET};
    use session_tests::support::TestClock;

    fn begin(manager: &SessionManager, clock: &TestClock, cookie: &str) -> Session {
        let mut headers = reqwest::header::HeaderMap::new();
        if !cookie.is_empty() {
            headers.insert("cookie", cookie.parse().unwrap());
        }
        let view = HttpRequest {
            headers: &headers,
            peer: None,
            tls: false,
        };
        manager.begin(&view, clock.now())
    }

    async fn finish(manager: &SessionManager, clock: &TestClock, session: Session) -> String {
        let outcome = manager.finish(session, 200, clock.now()).await.unwrap();
        outcome
            .set_cookie()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }

    async fn log_in(manager: &SessionManager, clock: &TestClock, user: &str) -> String {
        let session = begin(manager, clock, "");
        session.regenerate().await.unwrap();
        session.set_user(Some(user)).await.unwrap();
        session.insert("name", user).await.unwrap();
        finish(manager, clock, session).await
    }

    #[tokio::test]
    async fn bind_list_merge_and_revoke() {
        let clock = TestClock::new();
        let manager = SessionManager::new(base_config().build().unwrap(), MemoryStore::new());
        let laptop = log_in(&manager, &clock, "ann").await;
        clock.advance(std::time::Duration::from_secs(60));
        let phone = log_in(&manager, &clock, "ann").await;
        log_in(&manager, &clock, "bob").await;

        let listed = manager.user_sessions("ann", clock.now()).await.unwrap();
        assert_eq!(listed.len(), 2);
        // Oldest first; last seen is when each was written (expiry minus the lifetime).
        assert!(listed[0].created_at < listed[1].created_at);
        assert_eq!(listed[1].last_seen, clock.now());
        assert!(listed.iter().all(|s| s.expires_at > clock.now()));

        // Two requests of the laptop's session: one unbinds the user, the other writes a key
        // from the older copy. The merge keeps the unbinding, which it did not touch.
        let writer = begin(&manager, &clock, &laptop);
        writer.insert("cart", 3).await.unwrap();
        let unbinder = begin(&manager, &clock, &laptop);
        unbinder.set_user(None).await.unwrap();
        finish(&manager, &clock, unbinder).await;
        finish(&manager, &clock, writer).await;
        let check = begin(&manager, &clock, &laptop);
        assert_eq!(check.user().await.unwrap(), None);
        assert_eq!(check.get::<u32>("cart").await.unwrap(), Some(3));
        assert_eq!(
            manager
                .user_sessions("ann", clock.now())
                .await
                .unwrap()
                .len(),
            1
        );

        // Regenerating keeps the binding under the new id.
        let session = begin(&manager, &clock, &phone);
        session.regenerate().await.unwrap();
        let new_id = session.id().await.unwrap().unwrap();
        let phone = finish(&manager, &clock, session).await;
        let listed = manager.user_sessions("ann", clock.now()).await.unwrap();
        assert_eq!(listed.iter().map(|s| &s.id).collect::<Vec<_>>(), [&new_id]);

        assert_eq!(manager.revoke_user("ann", Some(&new_id)).await.unwrap(), 0);
        assert_eq!(manager.revoke_user("ann", None).await.unwrap(), 1);
        let gone = begin(&manager, &clock, &phone);
        assert_eq!(gone.get::<String>("name").await.unwrap(), None);
        assert_eq!(
            manager
                .user_sessions("bob", clock.now())
                .await
                .unwrap()
                .len(),
            1
        );
    }

    #[tokio::test]
    async fn stateless_managers_have_no_user_index() {
        let keys = StatelessKeys::new([SECRET]).unwrap();
        let manager =
            SessionManager::stateless(base_config().build().unwrap(), JwtFormat::new(keys));
        let err = manager
            .user_sessions("ann", TestClock::new().now())
            .await
            .unwrap_err();
        assert!(matches!(err, SessionError::Store(e) if e.kind() == StoreErrorKind::Unsupported));
        assert!(manager.revoke_user("ann", None).await.is_err());
    }
}
