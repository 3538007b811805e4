//! `sessions migrate` on the real servers: idempotent, resumable, codec to codec, and a
//! 100,000-session round trip Redis -> PostgreSQL -> Redis with nothing lost.

// Stopwatches for the timings and the timeouts under test, not session time.
#![allow(clippy::disallowed_methods)]

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::*;
use predicates::prelude::*;
use session_core::{
    Codec, Config, ExpressCookie, ExpressOptions, JsonCodec, Record, SessionId, SessionState, Store,
};
use session_stores::{
    ConnectPgStore, ExpressCodec, Inventory, MsgpackCodec, PostgresStore, RedisStore, SqliteStore,
};

/// A PostgreSQL schema of the test's own, first on the search path of the returned URL.
async fn pg_schema() -> (String, PostgresStore, String) {
    let schema = unique("pg");
    let url = with_param(
        &postgres_url(),
        &format!("options=-c%20search_path%3D{schema}"),
    );
    let store = PostgresStore::connect(&url)
        .await
        .expect("PostgreSQL at SESSION_TEST_POSTGRES_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(store.pool())
        .await
        .unwrap();
    (url, store, schema)
}

async fn drop_schema(store: &PostgresStore, schema: &str) {
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(store.pool())
        .await
        .unwrap();
}

/// The express codec as the tool builds it for a target (the creation time kept in `_rs`).
fn express_codec() -> ExpressCodec {
    let config = Config::builder()
        .express_session(ExpressOptions {
            secret: vec![SECRET.into()],
            cookie: ExpressCookie::default(),
            ..ExpressOptions::default()
        })
        .absolute_timeout(Duration::from_secs(86_400 * 365))
        .build()
        .unwrap();
    ExpressCodec::new(&config)
}

/// Every live session of `store`, by id.
async fn everything<S: Inventory>(store: &S) -> HashMap<SessionId, Record> {
    let mut all = HashMap::new();
    let mut after = None;
    loop {
        let page = store.scan(after.as_ref(), 1000, now()).await.unwrap();
        all.extend(page.entries);
        match page.next {
            Some(next) => after = Some(next),
            None => return all,
        }
    }
}

fn migrate(from: &str, to: &str, extra: &[&str]) -> serde_json::Value {
    let out = sessions()
        .args(["--json", "migrate", "--from", from, "--to", to])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "migrate failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    json_of(&out)
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_is_idempotent_resumable_and_keeps_every_session() {
    // Source: SQLite, the JSON codec, 300 live sessions and 20 expired ones.
    let dir = tempfile::tempdir().unwrap();
    let source_url = format!("sqlite://{}", dir.path().join("source.db").display());
    let source = SqliteStore::connect(&source_url).await.unwrap();
    source.migrate().await.unwrap();
    let mut states: HashMap<SessionId, (SessionState, Record)> = HashMap::new();
    for n in 0..320 {
        let id = SessionId::generate().unwrap();
        let st = state(n);
        let expires = if n < 300 {
            now() + time::Duration::seconds(3600 + n as i64)
        } else {
            now() - time::Duration::seconds(1)
        };
        let rec = record(&st, expires, Some("dave"));
        source.create(&id, &rec).await.unwrap();
        if n < 300 {
            states.insert(id, (st, rec));
        }
    }

    // Target: connect-pg-simple's table, express's format.
    let (pg_url, pg, schema) = pg_schema().await;
    let table = unique("session");
    let target_url =
        pg_url.replacen("postgres://", "connect-pg://", 1) + &format!("&table={table}");
    let doc = migrate(&source_url, &target_url, &[]);
    assert_eq!(doc["copied"], 300, "{doc}");
    assert_eq!(doc["failed"], 0);
    assert_eq!(doc["to_codec"], "express");
    let target = ConnectPgStore::new(pg.clone()).table_name(&table);
    let copied = everything(&target).await;
    assert_eq!(copied.len(), 300);
    let express = express_codec();
    for (id, (st, rec)) in &states {
        let got = &copied[id];
        assert_eq!(
            got.expires_at, rec.expires_at,
            "expiry kept to the millisecond"
        );
        assert_eq!(&express.decode(&got.payload).unwrap(), st, "content kept");
    }

    // Twice: nothing new.
    let doc = migrate(&source_url, &target_url, &[]);
    assert_eq!(doc["copied"], 0);
    assert_eq!(doc["skipped_same"], 300);

    // A session changed in the source since: kept in the target unless --overwrite.
    let (changed, (mut st, rec)) = states
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap();
    st.data.insert("visits".into(), 42.into());
    let newer = Record::new(
        JsonCodec.encode(&st, rec.expires_at).unwrap(),
        rec.expires_at,
        2,
    )
    .with_user(rec.user.clone());
    source.save(&changed, &newer, 1).await.unwrap();
    states.insert(changed.clone(), (st.clone(), newer.clone()));
    let doc = migrate(&source_url, &target_url, &[]);
    assert_eq!(
        (doc["copied"].as_u64(), doc["skipped_different"].as_u64()),
        (Some(0), Some(1))
    );
    let doc = migrate(&source_url, &target_url, &["--overwrite"]);
    assert_eq!(doc["replaced"], 1);
    let held = target.load(&changed, now()).await.unwrap().unwrap();
    assert_eq!(express.decode(&held.payload).unwrap(), st);

    // Resumable: a resume file whose cursor is half-way copies only the second half (the
    // SQL stores' cursor is the last id of a page).
    let mut ids: Vec<&SessionId> = states.keys().collect();
    ids.sort();
    let resume = dir.path().join("resume.json");
    let (prefix, redis_target) = {
        let prefix = format!("{}:", unique("resume"));
        let url = with_param(&redis_url(), &format!("prefix={prefix}"));
        (prefix, url)
    };
    let shown = |url: &str| url.to_owned();
    std::fs::write(
        &resume,
        serde_json::json!({
            "from": shown(&source_url),
            "to": shown(&redis_target),
            "cursor": ids[149].as_str(),
        })
        .to_string(),
    )
    .unwrap();
    let out = sessions()
        .args([
            "migrate",
            "--from",
            &source_url,
            "--to",
            &redis_target,
            "--to-codec",
            "msgpack",
        ])
        .arg("--resume-file")
        .arg(&resume)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(summary.contains("copied:   150"), "{summary}");
    assert!(summary.contains("resumed"), "{summary}");
    assert!(
        !resume.exists(),
        "the resume file goes once the migration is complete"
    );
    let native = RedisStore::builder([redis_url()])
        .prefix(&prefix)
        .connect()
        .await
        .unwrap();
    let moved = everything(&native).await;
    assert_eq!(moved.len(), 150);
    for (id, got) in &moved {
        assert!(id > ids[149]);
        assert_eq!(MsgpackCodec.decode(&got.payload).unwrap(), states[id].0);
        assert_eq!(
            got.user.as_deref(),
            Some("dave"),
            "the user index moves along"
        );
    }
    // A resume file of another migration is refused.
    std::fs::write(
        &resume,
        r#"{"from":"redis://elsewhere","to":"x","cursor":"1"}"#,
    )
    .unwrap();
    sessions()
        .args(["migrate", "--from", &source_url, "--to", &redis_target])
        .arg("--resume-file")
        .arg(&resume)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("belongs to a migration"));

    // A session that does not decode is a failure, listed, and exit code 1.
    let broken = SessionId::generate().unwrap();
    let expires = now() + time::Duration::hours(1);
    source
        .create(&broken, &Record::new(b"not json".to_vec(), expires, 1))
        .await
        .unwrap();
    let out = sessions()
        .args([
            "--json",
            "migrate",
            "--from",
            &source_url,
            "--to",
            &target_url,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json_of(&out);
    assert_eq!(doc["failed"], 1);
    assert_eq!(doc["failures"][0]["id"], broken.as_str());

    // The target unreachable: 3, and the summary says how far it got.
    let out = sessions()
        .args([
            "--json",
            "migrate",
            "--from",
            &source_url,
            "--to",
            "redis://127.0.0.1:1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(json_of(&out)["error"]["kind"], "unreachable");

    source.pool().close().await;
    clear_redis_prefix(&redis_url(), &prefix).await;
    drop_schema(&pg, &schema).await;
}

const SESSIONS: usize = 100_000;

#[tokio::test(flavor = "multi_thread")]
async fn migrate_100k_sessions_redis_to_postgres_and_back() {
    // 100,000 sessions in Redis (JSON codec), a third bound to users, expiring over the
    // next days; written through the store's connection, 512 at a time.
    let prefix = format!("{}:", unique("big"));
    let back_prefix = format!("{}:", unique("back"));
    let source = RedisStore::builder([redis_url()])
        .prefix(&prefix)
        .timeout(Duration::from_secs(30))
        .connect()
        .await
        .expect("Redis at SESSION_TEST_REDIS_URL");
    let base = now();
    let mut originals: HashMap<SessionId, (SessionState, Record)> =
        HashMap::with_capacity(SESSIONS);
    let mut batch = Vec::with_capacity(SESSIONS);
    let shared = state(0);
    for n in 0..SESSIONS {
        let id = SessionId::generate().unwrap();
        let mut st = shared.clone();
        st.data.insert("n".into(), n.into());
        st.max_age = (n % 2 == 0).then(|| Duration::from_secs(86_400));
        let expires = base + time::Duration::seconds(3600 + (n as i64 * 7) % 200_000);
        let user = format!("user-{}", n % 5000);
        let rec = record(&st, expires, (n % 3 == 0).then_some(user.as_str()));
        batch.push((id.clone(), rec.clone()));
        originals.insert(id, (st, rec));
    }
    let seeding = Instant::now();
    create_all(&source, &batch, 512).await.unwrap();
    drop(batch);
    eprintln!(
        "seeded {SESSIONS} sessions into Redis in {:.1?}",
        seeding.elapsed()
    );

    let (pg_url, pg, schema) = pg_schema().await;
    let from = with_param(&redis_url(), &format!("prefix={prefix}"));
    let back = with_param(&redis_url(), &format!("prefix={back_prefix}"));

    let there = Instant::now();
    let doc = migrate(&from, &pg_url, &["--to-codec", "msgpack"]);
    let there = there.elapsed();
    assert_eq!(doc["copied"], SESSIONS as u64, "{doc}");
    assert_eq!(doc["failed"], 0);

    let back_again = Instant::now();
    let doc = migrate(
        &pg_url,
        &back,
        &["--codec", "msgpack", "--to-codec", "json"],
    );
    let back_again = back_again.elapsed();
    assert_eq!(doc["copied"], SESSIONS as u64, "{doc}");
    eprintln!(
        "BENCH migrate {SESSIONS} sessions ({} build): Redis -> PostgreSQL {:.1} s, \
         PostgreSQL -> Redis {:.1} s",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        there.as_secs_f64(),
        back_again.as_secs_f64()
    );

    // Nothing lost: every id, the same content after JSON -> MessagePack -> JSON, the user,
    // and the expiry within a second (it is kept to the millisecond).
    let returned = RedisStore::builder([redis_url()])
        .prefix(&back_prefix)
        .timeout(Duration::from_secs(30))
        .connect()
        .await
        .unwrap();
    let round_trip = everything(&returned).await;
    assert_eq!(round_trip.len(), SESSIONS);
    let in_pg = pg.count(now()).await.unwrap();
    assert_eq!(in_pg, SESSIONS as u64);
    for (id, (st, rec)) in &originals {
        let got = round_trip
            .get(id)
            .unwrap_or_else(|| panic!("session {} was lost", id.as_str()));
        assert_eq!(&JsonCodec.decode(&got.payload).unwrap(), st);
        assert_eq!(got.user, rec.user);
        let drift = (got.expires_at - rec.expires_at).abs();
        assert!(drift < time::Duration::SECOND, "expiry moved by {drift}");
    }

    // Running it again copies nothing.
    let again = Instant::now();
    let doc = migrate(&from, &pg_url, &["--to-codec", "msgpack"]);
    assert_eq!(doc["copied"], 0);
    assert_eq!(doc["skipped_same"], SESSIONS as u64);
    eprintln!(
        "BENCH migrate again Redis -> PostgreSQL, everything already there: {:.1} s",
        again.elapsed().as_secs_f64()
    );

    clear_redis_prefix(&redis_url(), &prefix).await;
    clear_redis_prefix(&redis_url(), &back_prefix).await;
    drop_schema(&pg, &schema).await;
}
