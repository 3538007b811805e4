//! The store suite against Redis (`SESSION_TEST_REDIS_URL`, default
//! `redis://127.0.0.1:6379`), and outage tests against `redis-server`s the tests own.

use std::time::Duration;

use session_core::{Record, SessionId, Store};
use session_stores::RedisStore;
use session_tests::store_suite::{
    or_skip, run_outage_case, run_stall_case, run_store_suite, test_url, Outage, RedisServer, CASES,
};
use time::OffsetDateTime;

const TIMEOUT: Duration = Duration::from_millis(700);

fn url() -> String {
    test_url("SESSION_TEST_REDIS_URL", "redis://127.0.0.1:6379")
}

async fn connect(url: &str) -> Result<RedisStore, session_core::StoreError> {
    RedisStore::builder([url])
        .prefix("sess-test:")
        .timeout(TIMEOUT)
        .connect()
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_store_passes_the_suite() {
    let Some(store) = or_skip("redis", connect(&url()).await) else {
        return;
    };
    assert_eq!(run_store_suite("redis", store).await, CASES.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_killed_gives_a_typed_error_and_recovers_after_restart() {
    let Some(mut server) = or_skip("redis-server", RedisServer::start().await) else {
        return;
    };
    let store = connect(&server.url()).await.unwrap();
    run_outage_case("redis", &store, &mut server, TIMEOUT).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_hanging_times_out_and_recovers() {
    let Some(mut server) = or_skip("redis-server", RedisServer::start().await) else {
        return;
    };
    let store = connect(&server.url()).await.unwrap();
    run_stall_case("redis", &store, &mut server, TIMEOUT).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connecting_to_a_dead_server_fails_within_the_timeout() {
    let Some(mut server) = or_skip("redis-server", RedisServer::start().await) else {
        return;
    };
    let url = server.url();
    session_tests::store_suite::Outage::stop(&mut server).await;
    let err = match connect(&url).await {
        Ok(_) => panic!("connected to a dead server"),
        Err(err) => err,
    };
    assert!(err.is_unavailable(), "{err:?}");
}

/// Reads `calls=` of one command from `INFO commandstats`.
fn calls(server: &RedisServer, command: &str) -> u64 {
    let stats = server.cli(&["INFO", "commandstats"]).unwrap();
    stats
        .lines()
        .find_map(|line| line.strip_prefix(&format!("cmdstat_{command}:calls=")))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |n| n.parse().unwrap())
}

fn total_calls(server: &RedisServer) -> u64 {
    let stats = server.cli(&["INFO", "commandstats"]).unwrap();
    stats
        .lines()
        .filter_map(|line| {
            line.split_once(":calls=")?
                .1
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn load_and_save_are_one_round_trip_each() {
    let Some(server) = or_skip("redis-server", RedisServer::start().await) else {
        return;
    };
    let store = connect(&server.url()).await.unwrap();
    #[allow(clippy::disallowed_methods)] // Redis expires keys by its own clock.
    let now = OffsetDateTime::now_utc();
    let id = SessionId::generate().unwrap();
    let expires = now + Duration::from_secs(600);
    store
        .create(&id, &Record::new(b"{}".to_vec(), expires, 1))
        .await
        .unwrap();
    // The first save loads the script into the server; later ones only run it.
    store
        .save(&id, &Record::new(b"{}".to_vec(), expires, 2), 1)
        .await
        .unwrap();

    server.cli(&["CONFIG", "RESETSTAT"]).unwrap();
    // The CONFIG RESETSTAT itself may be counted after the reset; count from here.
    let before = total_calls(&server);
    let loaded = store.load(&id, now).await.unwrap().unwrap();
    assert_eq!(
        total_calls(&server) - before,
        2,
        "load: one GET (+ one INFO)"
    );
    assert_eq!(calls(&server, "get"), 1);
    let before = total_calls(&server);
    store
        .save(
            &id,
            &Record::new(b"{\"n\":3}".to_vec(), expires, 3),
            loaded.version,
        )
        .await
        .unwrap();
    // Redis also counts the commands a script runs: the round trip is the one EVALSHA
    // (its GETRANGE and SET run inside the server), plus the test's INFO.
    assert_eq!(
        total_calls(&server) - before,
        4,
        "save: EVALSHA + GETRANGE + SET (+ INFO)"
    );
    assert_eq!(calls(&server, "getrange"), 1);
    assert_eq!(
        calls(&server, "script|load") + calls(&server, "eval"),
        0,
        "no reload, no EVAL"
    );
    assert_eq!(calls(&server, "evalsha"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ttl_follows_expires_at_and_touch() {
    let Some(server) = or_skip("redis-server", RedisServer::start().await) else {
        return;
    };
    let store = connect(&server.url()).await.unwrap();
    #[allow(clippy::disallowed_methods)] // Redis expires keys by its own clock.
    let now = OffsetDateTime::now_utc();
    let id = SessionId::generate().unwrap();
    let key = format!("sess-test:{}", id.as_str());
    let expires = now + Duration::from_secs(600);
    store
        .create(&id, &Record::new(b"{}".to_vec(), expires, 1))
        .await
        .unwrap();
    let at: i64 = server
        .cli(&["PEXPIRETIME", &key])
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(at, session_core::unix_millis(expires));
    let later = now + Duration::from_secs(1200);
    store.touch(&id, later).await.unwrap();
    let at: i64 = server
        .cli(&["PEXPIRETIME", &key])
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(at, session_core::unix_millis(later));
    // A record whose expiry has passed is gone from Redis too, not only from `load`.
    store
        .touch(&id, now - Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(server.cli(&["EXISTS", &key]).unwrap().trim(), "0");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lazy_store_checks_the_url_at_once_and_connects_on_first_use() {
    let bad = RedisStore::builder(["not a url"]).connect_lazy();
    assert!(matches!(bad, Err(e) if e.kind() == session_core::StoreErrorKind::Backend));

    let Some(mut server) = or_skip("redis-server", RedisServer::start().await) else {
        return;
    };
    let url = server.url();
    session_tests::store_suite::Outage::stop(&mut server).await;
    // Building needs no server; the first operation reports it missing, typed.
    let store = RedisStore::builder([url.as_str()])
        .prefix("sess-test:")
        .timeout(TIMEOUT)
        .connect_lazy()
        .unwrap();
    let id = SessionId::generate().unwrap();
    #[allow(clippy::disallowed_methods)] // Redis expires keys by its own clock.
    let now = OffsetDateTime::now_utc();
    let err = store.load(&id, now).await.unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");

    // A failed connect is remembered only for a short wait (25 ms after a first failure):
    // once the server is back and the wait is over, the next call connects.
    session_tests::store_suite::Outage::start(&mut server).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let record = Record::new(b"{}".to_vec(), now + Duration::from_secs(600), 1);
    store.create(&id, &record).await.unwrap();

    // Another connection to the same store sees the same records.
    let own = store.with_own_connection();
    let loaded = own.load(&id, now).await.unwrap().unwrap();
    assert_eq!((loaded.version, loaded.payload), (1, record.payload));
    own.delete(&id).await.unwrap();
    assert_eq!(store.load(&id, now).await.unwrap(), None);
}

/// Every request of every task goes down one connection; each must get its own answer back,
/// whatever order the tasks run in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_on_one_connection_each_get_their_own_answer() {
    let Some(store) = or_skip("redis", connect(&url()).await) else {
        return;
    };
    #[allow(clippy::disallowed_methods)] // Redis expires keys by its own clock.
    let now = OffsetDateTime::now_utc();
    let expires = now + time::Duration::minutes(5);
    let tasks: Vec<_> = (0..2_000)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let id = SessionId::generate().unwrap();
                // Sizes from empty to larger than one read of the connection's buffer.
                let payload = format!("{i}:{}", "x".repeat(i * 17)).into_bytes();
                store
                    .create(&id, &Record::new(payload.clone(), expires, 1))
                    .await
                    .unwrap();
                let loaded = store.load(&id, now).await.unwrap().unwrap();
                assert_eq!(loaded.payload, payload, "session {i}");
                store.delete(&id).await.unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

/// The URL's password and database are used on every (re)connection.
#[tokio::test(flavor = "multi_thread")]
async fn the_urls_password_and_database_are_used() {
    let Some(server) = or_skip("redis-server", RedisServer::start().await) else {
        return;
    };
    server
        .cli(&["CONFIG", "SET", "requirepass", "s3cret"])
        .unwrap();
    let base = server.url();
    let with_auth = base.replacen("redis://", "redis://:s3cret@", 1);
    let url = format!("{}/3", with_auth.trim_end_matches('/'));
    let store = connect(&url).await.unwrap();
    #[allow(clippy::disallowed_methods)] // Redis expires keys by its own clock.
    let now = OffsetDateTime::now_utc();
    let id = SessionId::generate().unwrap();
    let record = Record::new(b"{}".to_vec(), now + time::Duration::minutes(5), 1);
    store.create(&id, &record).await.unwrap();
    let in_db = |db: &str| {
        let args = ["--no-auth-warning", "-a", "s3cret", "-n", db, "DBSIZE"];
        server.cli(&args).unwrap().trim().to_owned()
    };
    assert_eq!((in_db("3"), in_db("0")), ("1".to_owned(), "0".to_owned()));

    let wrong = url.replace("s3cret", "wrong");
    let err = connect(&wrong).await.unwrap_err();
    assert!(
        !err.is_unavailable(),
        "a refused password is not an outage: {err:?}"
    );
}

/// A connect given up half-way (the server accepted the connection but never answered the
/// handshake) must not leave that connection open: each timed-out attempt would otherwise
/// leak one, forever. And every request meanwhile fails within the store's timeout.
#[tokio::test(flavor = "multi_thread")]
async fn connects_given_up_half_way_leave_no_connection_behind() {
    let Some(mut server) = or_skip("redis-server", RedisServer::start().await) else {
        return;
    };
    server
        .cli(&["CONFIG", "SET", "requirepass", "s3cret"])
        .unwrap();
    let url = server.url().replacen("redis://", "redis://:s3cret@", 1);
    let clients = |server: &RedisServer| {
        let args = ["--no-auth-warning", "-a", "s3cret", "CLIENT", "LIST"];
        server.cli(&args).unwrap().lines().count()
    };
    let before = clients(&server);
    server.stall().await;
    let store = RedisStore::builder([url.as_str()])
        .timeout(Duration::from_millis(200))
        .connect_lazy()
        .unwrap();
    let id = SessionId::generate().unwrap();
    #[allow(clippy::disallowed_methods)] // Redis expires keys by its own clock.
    let now = OffsetDateTime::now_utc();
    let err = store.load(&id, now).await.unwrap_err();
    assert_eq!(err.kind(), session_core::StoreErrorKind::Timeout, "{err:?}");
    // Each load tries to connect again and gives up at the store's timeout, never later.
    for _ in 0..4 {
        #[allow(clippy::disallowed_methods)] // Measures how long the load took.
        let started = std::time::Instant::now();
        let err = store.load(&id, now).await.unwrap_err();
        assert!(
            err.is_unavailable() || err.kind() == session_core::StoreErrorKind::Timeout,
            "{err:?}"
        );
        assert!(
            started.elapsed() < Duration::from_millis(200 + 300),
            "a load outlasted the store's timeout: {:?}",
            started.elapsed()
        );
    }
    server.resume().await;
    // The resumed server reads the queued handshakes and then the closes of those sockets.
    for _ in 0..100 {
        if clients(&server) <= before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(clients(&server), before, "connections left open");
    // Served again by the next connect.
    let mut loaded = store.load(&id, now).await;
    for _ in 0..40 {
        if loaded.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        loaded = store.load(&id, now).await;
    }
    assert_eq!(loaded.unwrap(), None);
}

/// A single node over its Unix socket (`redis+unix://`) passes the same suite.
#[tokio::test(flavor = "multi_thread")]
async fn a_unix_socket_url_passes_the_suite() {
    let Some(server) = or_skip("redis-server", RedisServer::start().await) else {
        return;
    };
    let store = connect(&server.unix_url()).await.unwrap();
    assert_eq!(
        run_store_suite("redis over a unix socket", store).await,
        CASES.len()
    );
}
