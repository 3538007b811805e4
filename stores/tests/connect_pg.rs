//! `ConnectPgStore` against a real PostgreSQL at `SESSION_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), and against the real connect-pg-simple through
//! `interop/express/pg_store_check.mjs` (Node; its packages are installed by
//! `scripts/services.sh`). A missing server, Node or package fails these tests: they never
//! skip. Each test works in a schema of its own, dropped at the end.
#![cfg(all(feature = "postgres", feature = "express"))]

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use session_core::{Codec, Config, Record, SessionId, SessionState, Store, StoreErrorKind};
use session_stores::sql::cleanup::Cleanup;
use session_stores::{ConnectPgStore, ExpressCodec, PostgresStore};
use time::OffsetDateTime;

fn url() -> String {
    std::env::var("SESSION_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// The real time to the millisecond: the Node side reads the clock, so the Rust side must be
/// near it.
#[allow(clippy::disallowed_methods)]
fn wall_now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(u32::from(now.millisecond()) * 1_000_000)
        .expect("a millisecond is a nanosecond")
}

/// connect-pg-simple's `Math.ceil(date / 1000)`: up to a whole second.
fn ceil_to_second(at: OffsetDateTime) -> OffsetDateTime {
    let floor = at.replace_nanosecond(0).expect("zero nanoseconds");
    if floor == at {
        at
    } else {
        floor + time::Duration::SECOND
    }
}

/// JavaScript's `Date.prototype.toISOString`.
fn iso(at: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

fn new_id() -> SessionId {
    SessionId::generate().expect("randomness")
}

fn kind<T: std::fmt::Debug>(result: Result<T, session_core::StoreError>) -> StoreErrorKind {
    result.expect_err("an error").kind()
}

/// A schema of its own for one test, dropped when the test ends (also when it fails).
struct Schema {
    name: String,
    url: String,
}

impl Schema {
    async fn create(test: &str, pool: &sqlx::PgPool) -> Self {
        let random = new_id();
        let name = format!(
            "connect_pg_{test}_{}_{}",
            std::process::id(),
            &random.as_str()[..12]
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{name}\"")))
            .execute(pool)
            .await
            .expect("CREATE SCHEMA");
        Self { name, url: url() }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (name, url) = (self.name.clone(), self.url.clone());
        // Drop runs inside the test's runtime: a runtime of its own, on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let pool = sqlx::PgPool::connect(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS \"{name}\" CASCADE"
                )))
                .execute(&pool)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop schema {}: {dropped:?}", self.name);
        }
    }
}

async fn native(batch: u32) -> PostgresStore {
    PostgresStore::builder(&url())
        .cleanup_batch(batch)
        .connect()
        .await
        .expect("PostgreSQL at SESSION_TEST_POSTGRES_URL must be reachable")
}

/// A store on table `table` of a fresh schema, the table created.
async fn store_in_schema(test: &str, table: &str, batch: u32) -> (ConnectPgStore, Schema) {
    let native = native(batch).await;
    let schema = Schema::create(test, native.pool()).await;
    let store = ConnectPgStore::new(native)
        .schema_name(&schema.name)
        .table_name(table);
    store.create_table().await.expect("create_table");
    (store, schema)
}

fn codec() -> ExpressCodec {
    let config = Config::builder()
        .secret("0123456789abcdef0123456789abcdef")
        .max_age(Some(Duration::from_secs(3600)))
        .build()
        .expect("a valid config");
    ExpressCodec::new(&config)
}

#[tokio::test(flavor = "multi_thread")]
async fn round_trip_in_connect_pg_simple_layout() {
    let (store, schema) = store_in_schema("round_trip", "session", 1000).await;
    store.create_table().await.expect("create_table again");

    // connect-pg-simple's table.sql, to the names.
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'session' \
         ORDER BY ordinal_position",
    )
    .bind(&schema.name)
    .fetch_all(store.pool())
    .await
    .expect("columns");
    let want = [
        ("sid", "character varying", "NO"),
        ("sess", "json", "NO"),
        ("expire", "timestamp without time zone", "NO"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(columns, want);
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname",
    )
    .bind(&schema.name)
    .fetch_all(store.pool())
    .await
    .expect("indexes");
    assert_eq!(indexes, ["IDX_session_expire", "session_pkey"]);

    // Several processes creating another table at once.
    let other = store.clone().table_name("other");
    let (a, b, c) = tokio::join!(
        other.create_table(),
        other.create_table(),
        other.create_table()
    );
    a.and(b).and(c).expect("concurrent create_table");

    let now = wall_now();
    let later = now + time::Duration::minutes(10);
    let id = new_id();
    assert!(store.load(&id, now).await.expect("load").is_none());
    store
        .touch(&id, later)
        .await
        .expect("touch of an unknown id");
    store.delete(&id).await.expect("delete of an unknown id");
    assert_eq!(
        kind(
            store
                .save(&id, &Record::new(b"{}".to_vec(), later, 2), 1)
                .await
        ),
        StoreErrorKind::NotFound
    );

    // The text, spaces and key order included, comes back as it went in.
    let first = br#"{ "cookie" : {"expires": null},  "b":1, "a" : [1, 2] }"#.to_vec();
    let expires = (now + time::Duration::minutes(30))
        .replace_millisecond(789)
        .expect("a millisecond");
    store
        .create(&id, &Record::new(first.clone(), expires, 1))
        .await
        .expect("create");
    let loaded = store.load(&id, now).await.expect("load").expect("live");
    assert_eq!(loaded.payload, first);
    assert_eq!(loaded.expires_at, expires);
    let again = store.load(&id, now).await.expect("load").expect("live");
    assert_eq!(again.version, loaded.version, "a version is stable");
    assert_eq!(
        kind(
            store
                .create(&id, &Record::new(b"{}".to_vec(), later, 1))
                .await
        ),
        StoreErrorKind::DuplicateId
    );

    let second = br#"{"cookie":{},"n":2}"#.to_vec();
    store
        .save(&id, &Record::new(second.clone(), later, 2), loaded.version)
        .await
        .expect("save at the loaded version");
    let saved = store.load(&id, now).await.expect("load").expect("live");
    assert_eq!(
        (saved.payload.clone(), saved.expires_at),
        (second.clone(), later)
    );
    assert_ne!(saved.version, loaded.version);
    assert_eq!(
        kind(
            store
                .save(&id, &Record::new(b"{}".to_vec(), later, 3), loaded.version)
                .await
        ),
        StoreErrorKind::Conflict
    );

    let touched = later + time::Duration::hours(1);
    store.touch(&id, touched).await.expect("touch");
    let after = store.load(&id, now).await.expect("load").expect("live");
    assert_eq!(
        (after.payload, after.expires_at, after.version),
        (second, touched, saved.version),
        "touch moves the expiry alone"
    );

    store.delete(&id).await.expect("delete");
    assert!(store.load(&id, now).await.expect("load").is_none());

    // `sess` is json: text that is not JSON is refused, and so are bytes that are not text.
    let bad = new_id();
    for payload in [b"not json".to_vec(), vec![b'"', 0xff, b'"']] {
        assert_eq!(
            kind(store.create(&bad, &Record::new(payload, later, 1)).await),
            StoreErrorKind::Backend
        );
    }
    assert_eq!(
        kind(store.user_sessions("ann", now).await),
        StoreErrorKind::Unsupported
    );
    assert_eq!(
        kind(store.delete_user_sessions("ann", None).await),
        StoreErrorKind::Unsupported
    );
    drop(schema);
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_and_set_sees_every_writer() {
    let (store, schema) = store_in_schema("cas", "session", 1000).await;
    let table = format!("\"{}\".\"session\"", schema.name);
    let now = wall_now();
    let later = now + time::Duration::minutes(10);
    let id = new_id();
    store
        .create(&id, &Record::new(br#"{"v":1}"#.to_vec(), later, 1))
        .await
        .expect("create");

    // Another Rust process saves first.
    let v1 = store
        .load(&id, now)
        .await
        .expect("load")
        .expect("live")
        .version;
    let other = store.clone();
    other
        .save(
            &id,
            &Record::new(br#"{"v":"other"}"#.to_vec(), later, 2),
            v1,
        )
        .await
        .expect("the first save wins");
    let mine = Record::new(br#"{"v":"mine"}"#.to_vec(), later, 2);
    assert_eq!(
        kind(store.save(&id, &mine, v1).await),
        StoreErrorKind::Conflict
    );
    let kept = store.load(&id, now).await.expect("load").expect("live");
    assert_eq!(kept.payload, br#"{"v":"other"}"#);

    // A writer that knows nothing of versions (Node's `set`) changes `sess`.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET sess = '{{\"v\":\"node\"}}' WHERE sid = $1"
    )))
    .bind(id.as_str())
    .execute(store.pool())
    .await
    .expect("a foreign write");
    assert_eq!(
        kind(store.save(&id, &mine, kept.version).await),
        StoreErrorKind::Conflict
    );

    // A foreign touch (Node's `touch`) moves `expire` alone: no conflict.
    let v3 = store
        .load(&id, now)
        .await
        .expect("load")
        .expect("live")
        .version;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET expire = expire + interval '1 hour' WHERE sid = $1"
    )))
    .bind(id.as_str())
    .execute(store.pool())
    .await
    .expect("a foreign touch");
    store
        .save(&id, &mine, v3)
        .await
        .expect("a touch is no conflict");

    // Many saves from one version at once: exactly one wins.
    let v4 = store
        .load(&id, now)
        .await
        .expect("load")
        .expect("live")
        .version;
    let mut saves = tokio::task::JoinSet::new();
    for n in 0..16 {
        let (store, id) = (store.clone(), id.clone());
        saves.spawn(async move {
            let record = Record::new(format!("{{\"n\":{n}}}").into_bytes(), later, 5);
            store.save(&id, &record, v4).await.map_err(|e| e.kind())
        });
    }
    let mut won = 0;
    while let Some(result) = saves.join_next().await {
        match result.expect("a save task") {
            Ok(()) => won += 1,
            Err(kind) => assert_eq!(kind, StoreErrorKind::Conflict),
        }
    }
    assert_eq!(won, 1, "exactly one concurrent save wins");
    drop(schema);
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_rows_do_not_load_and_are_pruned() {
    let (store, schema) = store_in_schema("expiry", "session", 2).await;
    let now = wall_now();
    let mut expired = Vec::new();
    for minutes in 1..=5 {
        let id = new_id();
        let at = now - time::Duration::minutes(minutes);
        store
            .create(&id, &Record::new(b"{}".to_vec(), at, 1))
            .await
            .expect("create");
        expired.push(id);
    }
    let mut live = Vec::new();
    for minutes in 1..=3 {
        let id = new_id();
        let at = now + time::Duration::minutes(minutes);
        store
            .create(&id, &Record::new(b"{}".to_vec(), at, 1))
            .await
            .expect("create");
        live.push((id, at));
    }
    for id in &expired {
        assert!(store.load(id, now).await.expect("load").is_none());
    }
    let (id, at) = &live[0];
    assert!(
        store.load(id, *at).await.expect("load").is_none(),
        "expires at expires_at"
    );
    let just_before = *at - time::Duration::MILLISECOND;
    assert!(store.load(id, just_before).await.expect("load").is_some());

    // Batches of 2: three statements for five rows.
    assert_eq!(store.delete_expired(now).await.expect("prune"), 5);
    assert_eq!(
        Cleanup::delete_expired(&store, now).await.expect("prune"),
        0
    );
    let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM \"{}\".\"session\"",
        schema.name
    )))
    .fetch_one(store.pool())
    .await
    .expect("count");
    assert_eq!(rows, 3);
    for (id, at) in &live {
        let loaded = store.load(id, now).await.expect("load").expect("live");
        assert_eq!(loaded.expires_at, *at);
    }
    drop(schema);
}

/// Runs connect-pg-simple on `store`'s table: `interop/express/pg_store_check.mjs`.
struct Node {
    schema: String,
    table: String,
    zone: Option<String>,
}

impl Node {
    async fn run(&self, args: &[&str]) -> Value {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../interop/express");
        assert!(
            Path::new(dir)
                .join("node_modules/connect-pg-simple")
                .exists(),
            "{dir}/node_modules/connect-pg-simple is missing: run scripts/services.sh"
        );
        let mut command = std::process::Command::new("node");
        command
            .arg("pg_store_check.mjs")
            .args(args)
            .current_dir(dir)
            .env("DATABASE_URL", url())
            .env("SCHEMA_NAME", &self.schema)
            .env("TABLE_NAME", &self.table);
        match &self.zone {
            Some(zone) => command.env("PG_TIMEZONE", zone),
            None => command.env_remove("PG_TIMEZONE"),
        };
        let what = format!("node pg_store_check.mjs {args:?}");
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("the node task")
            .unwrap_or_else(|e| panic!("{what}: cannot run node: {e}"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{what}: {}\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{what}: {e}: {stdout:?}"))
    }
}

/// The JSON connect-pg-simple stores for a session that express-session would hand it.
fn node_sess(expires: &str, user: &str) -> String {
    format!(
        r#"{{"cookie":{{"originalMaxAge":3600000,"expires":"{expires}","httpOnly":true,"path":"/"}},"user":"{user}"}}"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn shares_sessions_with_connect_pg_simple() {
    let (store, schema) = store_in_schema("interop", "app_sessions", 1000).await;
    let node = Node {
        schema: schema.name.clone(),
        table: "app_sessions".to_owned(),
        zone: None,
    };
    let codec = codec();
    let now = wall_now();

    // (a) Node writes, Rust loads: the payload as Node wrote it, the expiry from
    // `cookie.expires` rounded up to a second.
    let ann = new_id();
    let expires = (now + time::Duration::hours(1))
        .replace_millisecond(123)
        .expect("a millisecond");
    assert_eq!(
        node.run(&["set", ann.as_str(), &iso(expires), "ann"]).await,
        json!("ok")
    );
    let loaded = store
        .load(&ann, now)
        .await
        .expect("load")
        .expect("Node's session");
    assert_eq!(
        String::from_utf8(loaded.payload.clone()).expect("text"),
        node_sess(&iso(expires), "ann")
    );
    assert_eq!(loaded.expires_at, ceil_to_second(expires));
    let state = codec
        .decode(&loaded.payload)
        .expect("ExpressCodec reads it");
    assert_eq!(state.data.get("user"), Some(&json!("ann")));

    // A cookie without an expiry: `expire` is Node's clock plus connect-pg-simple's ttl, a day.
    let browser = new_id();
    node.run(&["set", browser.as_str(), "null", "cat"]).await;
    let loaded = store
        .load(&browser, now)
        .await
        .expect("load")
        .expect("live");
    let day = now + time::Duration::days(1);
    assert!(
        (loaded.expires_at - day).abs() < time::Duration::seconds(30),
        "{} is not a day after {now}",
        loaded.expires_at
    );

    // (b) Rust writes, Node reads the same session; an expired one it does not.
    let bob = new_id();
    let bob_expires = now + time::Duration::minutes(30);
    let mut data = serde_json::Map::new();
    data.insert("user".into(), json!("bob"));
    data.insert("cart".into(), json!([1, 2, 3]));
    let bob_state = SessionState {
        data,
        created_at: now,
        max_age: None,
    };
    let payload = codec.encode(&bob_state, bob_expires).expect("encode");
    store
        .create(&bob, &Record::new(payload.clone(), bob_expires, 1))
        .await
        .expect("create");
    let seen = node.run(&["get", bob.as_str()]).await;
    let written: Value = serde_json::from_slice(&payload).expect("JSON");
    assert_eq!(seen, written);
    assert_eq!(seen["user"], "bob");
    assert_eq!(seen["cookie"]["expires"], iso(bob_expires));

    let gone = new_id();
    store
        .create(
            &gone,
            &Record::new(
                br#"{"cookie":{}}"#.to_vec(),
                now - time::Duration::minutes(1),
                1,
            ),
        )
        .await
        .expect("create");
    assert_eq!(node.run(&["get", gone.as_str()]).await, Value::Null);

    // (c) Node touches: Rust sees the new expiry, the same payload and version.
    let before = store.load(&ann, now).await.expect("load").expect("live");
    let touched = (now + time::Duration::hours(2))
        .replace_millisecond(1)
        .expect("a millisecond");
    node.run(&["touch", ann.as_str(), &iso(touched)]).await;
    let after = store.load(&ann, now).await.expect("load").expect("live");
    assert_eq!(after.expires_at, ceil_to_second(touched));
    assert_eq!(
        (after.payload, after.version),
        (before.payload, before.version)
    );

    // And a Rust touch moves what Node checks: to the past, and Node no longer loads it.
    store
        .touch(&bob, now - time::Duration::seconds(5))
        .await
        .expect("touch");
    assert_eq!(node.run(&["get", bob.as_str()]).await, Value::Null);

    // (d) Node's `set` after a Rust load: the Rust save conflicts; after a reload it lands,
    // and Node reads it.
    node.run(&["set", ann.as_str(), &iso(expires), "ann2"])
        .await;
    let mine = Record::new(node_sess(&iso(expires), "rust").into_bytes(), expires, 2);
    assert_eq!(
        kind(store.save(&ann, &mine, before.version).await),
        StoreErrorKind::Conflict
    );
    let fresh = store.load(&ann, now).await.expect("load").expect("live");
    store
        .save(&ann, &mine, fresh.version)
        .await
        .expect("save after a reload");
    assert_eq!(node.run(&["get", ann.as_str()]).await["user"], "rust");

    // (e) Deletes, both ways.
    node.run(&["destroy", ann.as_str()]).await;
    assert!(store.load(&ann, now).await.expect("load").is_none());
    store.delete(&browser).await.expect("delete");
    assert_eq!(node.run(&["get", browser.as_str()]).await, Value::Null);
    drop(schema);
}

#[tokio::test(flavor = "multi_thread")]
async fn time_zone_matches_a_node_side_in_another_zone() {
    // UTC+05:30 all year: no daylight saving to reason about.
    const ZONE: &str = "Asia/Kolkata";
    let (utc, schema) = store_in_schema("zone", "session", 1000).await;
    let store = utc.clone().time_zone(ZONE);
    let node = Node {
        schema: schema.name.clone(),
        table: "session".to_owned(),
        zone: Some(ZONE.to_owned()),
    };
    let now = wall_now();

    let ann = new_id();
    let expires = (now + time::Duration::hours(1))
        .replace_millisecond(0)
        .expect("a millisecond");
    node.run(&["set", ann.as_str(), &iso(expires), "ann"]).await;
    let loaded = store.load(&ann, now).await.expect("load").expect("live");
    assert_eq!(loaded.expires_at, expires);
    // Read as UTC, the same row is off by the zone's offset.
    let misread = utc.load(&ann, now).await.expect("load").expect("live");
    assert_eq!(
        misread.expires_at - expires,
        time::Duration::minutes(5 * 60 + 30)
    );

    // Written in the zone, Node sees it live for the half hour it has; written as UTC, Node
    // takes it as five and a half hours earlier, long expired.
    for (writer, live) in [(&store, true), (&utc, false)] {
        let id = new_id();
        writer
            .create(
                &id,
                &Record::new(
                    br#"{"cookie":{}}"#.to_vec(),
                    now + time::Duration::minutes(30),
                    1,
                ),
            )
            .await
            .expect("create");
        let seen = node.run(&["get", id.as_str()]).await;
        assert_eq!(seen != Value::Null, live, "{seen}");
    }
    drop(schema);
}
