//! A `rediss://` server killed (SIGKILL) and restarted on the same port while 8 tasks read
//! and write through the store: operations fail during the outage with
//! [`StoreErrorKind::Unavailable`] or [`StoreErrorKind::Timeout`], never panic, and succeed
//! again soon after the restart. The server keeps nothing (no persistence), so the sessions
//! are gone after it: only the store's recovery is checked. Prints a line starting with
//! `FAILOVER`. The server runs on a spare loopback port with a CA and certificate made here
//! by rcgen; a missing `redis-server` fails this test.
#![cfg(feature = "redis-tls")]
// Real servers on real clocks: waits are bounded in wall time and records expire in real time.
#![allow(clippy::disallowed_methods)]

mod redis_procs;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis_procs::tls::Certs;
use redis_procs::{error_kind, spare_port};
use session_core::{Record, SessionId, Store, StoreError, StoreErrorKind};
use session_stores::RedisStore;
use time::OffsetDateTime;

const TASKS: usize = 8;

struct Event {
    start: Instant,
    end: Instant,
    error: Option<StoreErrorKind>,
}

#[derive(Default)]
struct TaskLog {
    events: Vec<Event>,
    crossed: usize,
    samples: HashMap<String, String>,
}

fn record(owner: usize, id: &SessionId, counter: u64, version: u64) -> Record {
    Record::new(
        format!("{owner}|{}|{counter}", id.as_str()).into_bytes(),
        OffsetDateTime::now_utc() + time::Duration::minutes(10),
        version,
    )
}

/// One load, increment and save of `id`; a session the restart wiped is created again.
async fn step(
    store: &RedisStore,
    owner: usize,
    id: &SessionId,
    crossed: &mut usize,
) -> Result<(), StoreError> {
    let Some(loaded) = store.load(id, OffsetDateTime::now_utc()).await? else {
        return store.create(id, &record(owner, id, 0, 1)).await;
    };
    let text = String::from_utf8_lossy(&loaded.payload).into_owned();
    let mut parts = text.split('|');
    let (who, sid) = (parts.next(), parts.next());
    let counter: Option<u64> = parts.next().and_then(|c| c.parse().ok());
    let (Some(counter), true) = (
        counter,
        who == Some(&*owner.to_string()) && sid == Some(id.as_str()),
    ) else {
        *crossed += 1;
        return Ok(());
    };
    let next = record(owner, id, counter + 1, loaded.version + 1);
    match store.save(id, &next, loaded.version).await {
        // Wiped between the load and the save: the next turn creates it again.
        Err(err) if err.kind() == StoreErrorKind::NotFound => Ok(()),
        other => other,
    }
}

async fn client_task(owner: usize, store: RedisStore, stop: Arc<AtomicBool>) -> TaskLog {
    let mut log = TaskLog::default();
    let id = SessionId::generate().unwrap();
    while !stop.load(Ordering::Relaxed) {
        let start = Instant::now();
        let outcome = step(&store, owner, &id, &mut log.crossed).await;
        let error = error_kind(&mut log.samples, outcome);
        let failed = error.is_some();
        log.events.push(Event {
            start,
            end: Instant::now(),
            error,
        });
        if failed {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_tls_store_recovers_after_the_server_is_killed_and_restarted() {
    let certs = Certs::new();
    let port = spare_port();
    let mut server = certs.server(port, "node", &[]);
    let store = RedisStore::builder([format!("rediss://127.0.0.1:{port}")])
        .tls_ca_pem(certs.ca_pem.clone())
        .prefix("tls-reset:")
        .timeout(Duration::from_secs(1))
        .connect()
        .await
        .expect("connects over TLS");

    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..TASKS)
        .map(|owner| tokio::spawn(client_task(owner, store.clone(), stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;

    let kill = Instant::now();
    server.kill();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let restart = Instant::now();
    server.spawn();
    let listening = restart.elapsed();

    let bound = Duration::from_secs(10);
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let probe = SessionId::generate().unwrap();
        if store
            .create(&probe, &record(999, &probe, 0, 1))
            .await
            .is_ok()
        {
            break;
        }
        assert!(
            restart.elapsed() < bound,
            "no recovery within {bound:?} of the restart"
        );
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);

    let mut panicked = 0;
    let mut logs = Vec::new();
    for task in tasks {
        match task.await {
            Ok(log) => logs.push(log),
            Err(err) => {
                assert!(err.is_panic(), "{err}");
                panicked += 1;
            }
        }
    }
    let events: Vec<&Event> = logs.iter().flat_map(|l| &l.events).collect();
    let crossed: usize = logs.iter().map(|l| l.crossed).sum();
    let failures: Vec<&&Event> = events
        .iter()
        .filter(|e| e.error.is_some() && e.end >= kill)
        .collect();
    let first_failure = failures.iter().map(|e| e.end).min();
    let first_success = events
        .iter()
        .filter(|e| e.error.is_none() && e.start >= restart)
        .map(|e| e.end)
        .min();
    let mut kinds: HashMap<String, usize> = HashMap::new();
    for e in &failures {
        *kinds.entry(format!("{:?}", e.error.unwrap())).or_default() += 1;
    }
    let samples: HashMap<&String, &String> = logs.iter().flat_map(|l| &l.samples).collect();
    let window = match (first_failure, first_success) {
        (Some(f), Some(s)) => s.saturating_duration_since(f),
        _ => Duration::ZERO,
    };
    let after_restart = first_success.map(|s| s - restart);
    eprintln!(
        "FAILOVER [TLS reset] window={window:?} outage=kill..restart {:?} \
         first_success_after_restart={after_restart:?} (listening after {listening:?}) \
         ops={} failed_after_kill={} kinds={kinds:?} panicked={panicked} crossed={crossed} \
         samples={samples:?}",
        restart - kill,
        events.len(),
        failures.len(),
    );
    assert_eq!(panicked, 0, "tasks panicked");
    assert_eq!(crossed, 0, "a load returned another client's data");
    assert!(
        first_failure.is_some(),
        "no operation failed while the server was down"
    );
    let after_restart = after_restart.expect("operations succeed again after the restart");
    assert!(
        after_restart < bound,
        "recovered {after_restart:?} after the restart"
    );
    assert!(window < Duration::from_secs(15), "window {window:?}");
    for kind in kinds.keys() {
        assert!(
            kind == "Unavailable" || kind == "Timeout",
            "unexpected error kind {kind}: {samples:?}"
        );
    }
}
