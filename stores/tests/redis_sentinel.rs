//! Redis Sentinel against real servers this test starts on spare loopback ports (and kills
//! by pid): a master, a replica and three sentinels. The store connects through the
//! sentinels, passes the store suite, and after the master is killed (SIGKILL) and the
//! sentinels promote the replica, works again against the new master within 30 s. A master
//! behind a password is reached with `master_password` (and `master_db`), refused without.
//! A missing `redis-server` fails this test; it never skips.
#![cfg(feature = "redis-sentinel")]
// Real servers on real clocks: waits are bounded in wall time and records expire in real time.
#![allow(clippy::disallowed_methods)]

mod redis_procs;

use std::time::{Duration, Instant};

use redis_procs::{cli, node, sentinel_with, spare_port, wait_for, SentinelGroup, TempDir, MASTER};
use session_core::{Record, SessionId, Store};
use session_stores::RedisStore;
use session_tests::store_suite::{run_store_suite, CASES};
use time::OffsetDateTime;

fn record(payload: &[u8]) -> Record {
    Record::new(
        payload.to_vec(),
        OffsetDateTime::now_utc() + time::Duration::minutes(5),
        1,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_store_follows_the_master_through_a_failover() {
    let dir = TempDir::new("sentinel");
    let mut group = SentinelGroup::start(&dir, &[]).await;
    let (master_port, replica_port) = (group.master.port, group.replica.port);
    let urls = group.urls();
    let store = RedisStore::builder_sentinel(urls, MASTER)
        .prefix("sentinel:")
        .timeout(Duration::from_secs(1))
        .connect()
        .await
        .expect("connects to the master through the sentinels");
    assert!(format!("{store:?}").contains("sentinel"), "{store:?}");
    assert_eq!(
        run_store_suite("redis-sentinel", store.clone()).await,
        CASES.len()
    );

    let before = SessionId::generate().unwrap();
    store.create(&before, &record(b"before")).await.unwrap();
    // The replica has it before the master dies.
    assert!(cli(master_port, &["WAIT", "1", "2000"]).trim() == "1");

    let failover = Instant::now();
    group.master.kill();
    let mut failures = 0;
    loop {
        match store.load(&before, OffsetDateTime::now_utc()).await {
            Ok(Some(record)) => {
                if store.save(&before, &record, record.version).await.is_ok() {
                    break;
                }
                failures += 1;
            }
            Ok(None) => panic!("the promoted replica lost the session"),
            Err(_) => failures += 1,
        }
        assert!(
            failover.elapsed() < Duration::from_secs(30),
            "the store did not reach a new master within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let promoted = cli(
        group.sentinels[0].port,
        &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER],
    );
    assert!(
        promoted.contains(&replica_port.to_string()),
        "the sentinels name {promoted:?}"
    );
    eprintln!(
        "failover: the store wrote to the new master {:?} after the kill, {failures} failed operations",
        failover.elapsed()
    );
    let after = SessionId::generate().unwrap();
    store.create(&after, &record(b"after")).await.unwrap();
    let loaded = store.load(&after, OffsetDateTime::now_utc()).await.unwrap();
    assert_eq!(loaded.expect("written to the new master").payload, b"after");
    assert_eq!(
        cli(replica_port, &["ROLE"]).lines().next(),
        Some("master"),
        "the replica was promoted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_master_with_a_password_is_reached_with_it_and_refused_without() {
    let dir = TempDir::new("sentinel-auth");
    let master_port = spare_port();
    let password = ["--requirepass".to_owned(), "s3cret".to_owned()];
    let _master = node(&dir, "master", master_port, &password);
    let watcher = sentinel_with(
        &dir,
        0,
        master_port,
        &format!("sentinel auth-pass {MASTER} s3cret\n"),
    );
    wait_for(
        "the sentinel to name the master",
        Duration::from_secs(10),
        || {
            cli(
                watcher.port,
                &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER],
            )
            .contains(&master_port.to_string())
        },
    )
    .await;
    let url = format!("redis://127.0.0.1:{}", watcher.port);

    let store = RedisStore::builder_sentinel([url.as_str()], MASTER)
        .master_password(None, "s3cret")
        .master_db(3)
        .prefix("auth:")
        .timeout(Duration::from_secs(1))
        .connect()
        .await
        .expect("logs in to the master");
    let id = SessionId::generate().unwrap();
    store.create(&id, &record(b"kept")).await.unwrap();
    let loaded = store.load(&id, OffsetDateTime::now_utc()).await.unwrap();
    assert_eq!(loaded.unwrap().payload, b"kept");
    let in_db_3 = cli(master_port, &["-a", "s3cret", "-n", "3", "DBSIZE"]);
    assert_eq!(in_db_3.trim(), "1", "the record is in database 3");

    let refused = RedisStore::builder_sentinel([url.as_str()], MASTER)
        .timeout(Duration::from_secs(1))
        .connect()
        .await
        .expect_err("no password");
    println!("without the master's password: {refused}");
    let wrong = RedisStore::builder_sentinel([url], MASTER)
        .master_password(None, "wrong")
        .timeout(Duration::from_secs(1))
        .connect()
        .await
        .expect_err("a wrong password");
    println!("with a wrong password: {wrong}");
}
