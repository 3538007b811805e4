//! Every `sessions` command against the real servers (`SESSION_TEST_REDIS_URL`,
//! `SESSION_TEST_POSTGRES_URL`, `SESSION_TEST_MYSQL_URL`, the project's defaults otherwise),
//! with human and `--json` output, and the exit codes and messages of what goes wrong. Each
//! test keeps to a Redis prefix, a schema, a database or a file of its own and removes it.

// Stopwatches for the timings and the timeouts under test, not session time.
#![allow(clippy::disallowed_methods)]

mod common;

use std::io::Write as _;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::*;
use predicates::prelude::*;
use session_core::{
    Claims, EncryptedFormat, JwtFormat, Keyring, SessionId, SignedFormat, StatelessKeys, Store,
    TokenFormat,
};
use session_stores::{ConnectRedisStore, MySqlStore, PostgresStore, RedisStore, SqliteStore};

/// A Redis store under a prefix of its own, and its URL for the tool.
async fn redis_store() -> (RedisStore, String, String) {
    let prefix = format!("{}:", unique("redis"));
    let store = RedisStore::builder([redis_url()])
        .prefix(&prefix)
        .connect()
        .await
        .expect("Redis at SESSION_TEST_REDIS_URL");
    let url = with_param(&redis_url(), &format!("prefix={prefix}"));
    (store, url, prefix)
}

/// `id` signed with `secret` and percent-encoded, as a browser holds the cookie.
fn cookie(id: &SessionId, secret: &str) -> String {
    let signed = Keyring::new([secret]).unwrap().sign(id.as_str());
    let mut out = String::new();
    session_core::encode_uri_component_into(&signed, &mut out);
    out
}

fn assert_no_secret(output: &std::process::Output) {
    for stream in [&output.stdout, &output.stderr] {
        let text = text(stream);
        assert!(
            !text.contains(SECRET) && !text.contains(OLD_SECRET),
            "a secret was printed"
        );
        assert!(!text.contains("panicked"), "a panic: {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn inspect_verifies_a_cookie_and_reads_the_session_from_redis() {
    let (store, url, prefix) = redis_store().await;
    let id = SessionId::generate().unwrap();
    let expires = now() + time::Duration::hours(1);
    store
        .create(&id, &record(&state(3), expires, Some("ann")))
        .await
        .unwrap();
    let value = cookie(&id, SECRET);

    // For people.
    let out = sessions()
        .args(["--store", &url, "inspect", &value])
        .env("SESSION_SECRETS", SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    for expected in [
        id.as_str(),
        "secret #0",
        "ann",
        "cart, n, name (3)",
        "verdict:    valid",
    ] {
        assert!(
            shown.contains(expected),
            "{expected:?} missing from:\n{shown}"
        );
    }
    assert_no_secret(&out);

    // For scripts, with the cookie as `name=value` and the secret from a file.
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, r#"["{SECRET}"]"#).unwrap();
    let out = sessions()
        .args([
            "--json",
            "--store",
            &url,
            "inspect",
            &format!("connect.sid={value}"),
        ])
        .arg("--secrets-file")
        .arg(file.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc = json_of(&out);
    assert_eq!(doc["kind"], "signed-cookie");
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["secret_index"], 0);
    assert_eq!(doc["id"], id.as_str());
    assert_eq!(doc["found"], true);
    assert_eq!(doc["user"], "ann");
    assert_eq!(doc["keys"], serde_json::json!(["cart", "n", "name"]));
    assert_eq!(doc["expires_at"], common_instant(expires));
    assert_no_secret(&out);

    // From standard input, signed with the previous secret: valid, and said so.
    let old = cookie(&id, OLD_SECRET);
    let out = sessions()
        .args(["--json", "--store", &url, "inspect", "-"])
        .env("SESSION_SECRETS", format!("{SECRET}\n{OLD_SECRET}\n"))
        .write_stdin(old)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc = json_of(&out);
    assert_eq!(doc["secret_index"], 1);
    assert!(doc["notes"].to_string().contains("older secret"));

    // A wrong secret: exit 1, in plain words.
    let out = sessions()
        .args(["--store", &url, "inspect", &value])
        .env("SESSION_SECRETS", "some-other-secret")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("bad signature"),
        "{}",
        text(&out.stdout)
    );
    assert_no_secret(&out);

    // Malformed, and signed but not in the store.
    sessions()
        .args(["--store", &url, "inspect", "s:abc.tooshort"])
        .env("SESSION_SECRETS", SECRET)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("malformed"));
    let unknown = SessionId::generate().unwrap();
    sessions()
        .args([
            "--json",
            "--store",
            &url,
            "inspect",
            &cookie(&unknown, SECRET),
        ])
        .env("SESSION_SECRETS", SECRET)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("not in the store"));
    // Not a cookie at all; a bare id is pointed to --id.
    sessions()
        .args(["--store", &url, "inspect", id.as_str()])
        .env("SESSION_SECRETS", SECRET)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("--id"));
    sessions()
        .args(["--store", &url, "inspect", "--id", id.as_str()])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ann"));
    // No secrets at all: a usage error.
    sessions()
        .args(["--store", &url, "inspect", &value])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("SESSION_SECRETS"));

    store.delete(&id).await.unwrap();
    clear_redis_prefix(&redis_url(), &prefix).await;
}

/// RFC 3339 as the tool prints it.
fn common_instant(at: time::OffsetDateTime) -> String {
    let at = session_core::from_unix_millis(session_core::unix_millis(at));
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

#[test]
fn inspect_opens_stateless_tokens_and_says_why_one_does_not() {
    let keys = StatelessKeys::new([SECRET]).unwrap();
    let at = now();
    let claims = |expires: time::OffsetDateTime, issued: time::OffsetDateTime| Claims {
        id: SessionId::generate().unwrap(),
        state: state(5),
        expires_at: session_core::from_unix_millis(session_core::unix_millis(expires)),
        issued_at: issued,
    };
    let jwt = JwtFormat::new(keys.clone());
    let live = claims(at + time::Duration::hours(1), at);
    let token = jwt.issue(&live, "id").unwrap();
    let out = sessions()
        .args(["--json", "inspect", &token])
        .env("SESSION_SECRETS", SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let doc = json_of(&out);
    assert_eq!(doc["kind"], "jwt");
    assert_eq!(doc["id"], live.id.as_str());
    assert_eq!(doc["secret_index"], 0);
    assert_eq!(doc["keys"], serde_json::json!(["cart", "n", "name"]));

    let expired = jwt
        .issue(
            &claims(at - time::Duration::hours(2), at - time::Duration::hours(3)),
            "id",
        )
        .unwrap();
    sessions()
        .args(["inspect", &expired])
        .env("SESSION_SECRETS", SECRET)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("expired"));
    sessions()
        .args(["inspect", &token])
        .env("SESSION_SECRETS", "another-secret-of-at-least-32-bytes!!")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("bad signature"));

    // Signed tokens are bound to the cookie's name.
    let signed = SignedFormat::new(keys.clone()).issue(&live, "sid").unwrap();
    sessions()
        .args(["inspect", &signed])
        .env("SESSION_SECRETS", SECRET)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("--cookie-name"));
    sessions()
        .args(["inspect", "--cookie-name", "sid", &signed])
        .env("SESSION_SECRETS", SECRET)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(live.id.as_str()));

    let sealed = EncryptedFormat::new(keys).issue(&live, "id").unwrap();
    let out = sessions()
        .args(["--json", "inspect", &sealed])
        .env("SESSION_SECRETS", format!("{OLD_SECRET}\n{SECRET}"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc = json_of(&out);
    assert_eq!(doc["kind"], "encrypted-token");
    assert_eq!(doc["secret_index"], 1);
    assert_no_secret(&out);

    // Stateless tokens need 32-byte secrets, as the application's StatelessKeys do.
    sessions()
        .args(["inspect", &token])
        .env("SESSION_SECRETS", "short")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("32 bytes"));
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_stats_revoke_and_purge_on_redis() {
    let (store, url, prefix) = redis_store().await;
    let user = unique("user");
    let mut ids = Vec::new();
    for n in 0..12 {
        let id = SessionId::generate().unwrap();
        let lifetime = [30 * 60, 2 * 3600, 3 * 86_400][n % 3];
        let expires = now() + time::Duration::seconds(lifetime);
        let owner = (n < 4).then_some(user.as_str());
        store
            .create(&id, &record(&state(n), expires, owner))
            .await
            .unwrap();
        ids.push(id);
    }

    let doc = json_of(
        &sessions()
            .args(["--json", "--store", &url, "ls"])
            .output()
            .unwrap(),
    );
    assert_eq!(doc["total"], 12);
    assert_eq!(doc["shown"], 12);
    let listed = doc["sessions"].as_array().unwrap();
    assert!(listed
        .iter()
        .all(|s| s["keys"] == serde_json::json!(["cart", "n", "name"])));
    let out = sessions()
        .args(["--store", &url, "ls", "--limit", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("5 of 12 live sessions"),
        "{}",
        text(&out.stdout)
    );
    let doc = json_of(
        &sessions()
            .args(["--json", "--store", &url, "ls", "--user", &user])
            .output()
            .unwrap(),
    );
    assert_eq!(doc["total"], 4);

    let out = sessions()
        .args(["--json", "--store", &url, "stats"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc = json_of(&out);
    assert_eq!(doc["live"], 12);
    assert_eq!(doc["with_user"], 4);
    assert_eq!(doc["distinct_users"], 1);
    let sum = |key: &str| -> u64 {
        doc[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["sessions"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(sum("by_age"), 12);
    assert_eq!(sum("by_remaining_lifetime"), 12);
    let remaining = &doc["by_remaining_lifetime"];
    assert_eq!(remaining[2]["bucket"], "< 1 h");
    assert_eq!(remaining[2]["sessions"], 4);
    sessions()
        .args(["--store", &url, "stats"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("live sessions:  12"))
        .stdout(predicate::str::contains("by remaining lifetime"));

    // Revoking one session, then a user's but the one they are on.
    let doc = json_of(
        &sessions()
            .args([
                "--json",
                "--store",
                &url,
                "revoke",
                "--id",
                ids[11].as_str(),
            ])
            .output()
            .unwrap(),
    );
    assert_eq!(doc["revoked"], 1);
    sessions()
        .args(["--store", &url, "revoke", "--id", ids[11].as_str()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("nothing to revoke"));
    sessions()
        .args([
            "--store",
            &url,
            "revoke",
            "--user",
            &user,
            "--except",
            ids[0].as_str(),
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("revoked 3 session(s)"));
    let doc = json_of(
        &sessions()
            .args(["--json", "--store", &url, "ls", "--user", &user])
            .output()
            .unwrap(),
    );
    assert_eq!(doc["total"], 1);
    assert_eq!(doc["sessions"][0]["id"], ids[0].as_str());
    sessions()
        .args(["--store", &url, "purge-expired"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "Redis removes expired sessions itself",
        ));

    clear_redis_prefix(&redis_url(), &prefix).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_express_layout_keeps_no_user_index() {
    let prefix = format!("{}:", unique("connect"));
    let native = RedisStore::builder([redis_url()])
        .prefix(&prefix)
        .connect()
        .await
        .unwrap();
    let store = ConnectRedisStore::new(native);
    let id = SessionId::generate().unwrap();
    let express = br#"{"cookie":{"originalMaxAge":3600000,"expires":"2099-01-01T01:00:00.000Z","httpOnly":true,"path":"/"},"user":"ann"}"#;
    let expires = now() + time::Duration::hours(1);
    store
        .create(
            &id,
            &session_core::Record::new(express.to_vec(), expires, 1),
        )
        .await
        .unwrap();
    let url = with_param(
        &redis_url().replacen("redis://", "connect-redis://", 1),
        &format!("prefix={prefix}"),
    );
    let doc = json_of(
        &sessions()
            .args(["--json", "--store", &url, "ls"])
            .output()
            .unwrap(),
    );
    assert_eq!(doc["total"], 1);
    assert_eq!(doc["sessions"][0]["keys"], serde_json::json!(["user"]));
    let out = sessions()
        .args(["--store", &url, "inspect", &cookie(&id, SECRET)])
        .env("SESSION_SECRETS", SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // express's own record says when it was last touched.
    assert!(
        text(&out.stdout).contains("2099-01-01T00:00:00Z"),
        "{}",
        text(&out.stdout)
    );
    sessions()
        .args(["--store", &url, "revoke", "--user", "ann"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("keeps no user index"));
    clear_redis_prefix(&redis_url(), &prefix).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sql_stores_list_count_and_purge() {
    // SQLite: live and expired rows; inspect tells an expired row from a missing one.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    let url = format!("sqlite://{}", path.display());
    let sqlite = SqliteStore::connect(&url).await.unwrap();
    sqlite.migrate().await.unwrap();
    let mut expired = Vec::new();
    for n in 0..8 {
        let id = SessionId::generate().unwrap();
        let expires = if n < 5 {
            now() + time::Duration::hours(1)
        } else {
            expired.push(id.clone());
            now() - time::Duration::minutes(5)
        };
        sqlite
            .create(&id, &record(&state(n), expires, Some("bob")))
            .await
            .unwrap();
    }
    let doc = json_of(
        &sessions()
            .args(["--json", "--store", &url, "ls"])
            .output()
            .unwrap(),
    );
    assert_eq!(doc["total"], 5);
    sessions()
        .args(["--store", &url, "inspect", "--id", expired[0].as_str()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("purge-expired"));
    let doc = json_of(
        &sessions()
            .args(["--json", "--store", &url, "purge-expired"])
            .output()
            .unwrap(),
    );
    assert_eq!(doc["deleted"], 3);
    sessions()
        .args(["--store", &url, "inspect", "--id", expired[0].as_str()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("not in the store"));
    sqlite.pool().close().await;

    // MySQL, in a database of its own.
    let admin = MySqlStore::connect(&mysql_url())
        .await
        .expect("MariaDB at SESSION_TEST_MYSQL_URL");
    let database = unique("my");
    sqlx_mysql(&admin, &format!("CREATE DATABASE {database}")).await;
    let base = mysql_url();
    let (server, _) = base.rsplit_once('/').expect("a database in the URL");
    let my_url = format!("{server}/{database}");
    let mysql = MySqlStore::connect(&my_url).await.unwrap();
    mysql.migrate().await.unwrap();
    for n in 0..7 {
        let expires = now() + time::Duration::minutes(30);
        mysql
            .create(
                &SessionId::generate().unwrap(),
                &record(&state(n), expires, None),
            )
            .await
            .unwrap();
    }
    let doc = json_of(
        &sessions()
            .args(["--json", "--store", &my_url, "stats"])
            .output()
            .unwrap(),
    );
    assert_eq!(doc["live"], 7);
    assert_eq!(doc["with_user"], 0);
    mysql.pool().close().await;
    sqlx_mysql(&admin, &format!("DROP DATABASE {database}")).await;

    // PostgreSQL, in a schema of its own; and the table missing is exit code 4.
    let (pg_url, pg, schema) = pg_schema().await;
    sessions()
        .args(["--store", &pg_url, "ls"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("table is missing"));
    pg.migrate().await.unwrap();
    for n in 0..6 {
        let expires = now() + time::Duration::minutes(30);
        let owner = (n % 2 == 0).then_some("carol");
        pg.create(
            &SessionId::generate().unwrap(),
            &record(&state(n), expires, owner),
        )
        .await
        .unwrap();
    }
    let doc = json_of(
        &sessions()
            .args(["--json", "--store", &pg_url, "ls", "--user", "carol"])
            .output()
            .unwrap(),
    );
    assert_eq!(doc["total"], 3);
    sessions()
        .args(["--store", &pg_url, "revoke", "--user", "carol"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("revoked 3"));
    drop_schema(&pg, &schema).await;
}

async fn sqlx_mysql(store: &MySqlStore, statement: &str) {
    sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
        .execute(store.pool())
        .await
        .unwrap();
}

/// A PostgreSQL schema of the test's own, first on the search path of the returned URL.
pub async fn pg_schema() -> (String, PostgresStore, String) {
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

pub async fn drop_schema(store: &PostgresStore, schema: &str) {
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(store.pool())
        .await
        .unwrap();
}

#[test]
fn errors_say_what_is_wrong_with_their_exit_code() {
    // Not a store URL, or one the tool cannot use: 2.
    sessions()
        .args(["--store", "localhost:6379", "ls"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a store URL"));
    // TLS to a port nobody listens on: unreachable (3), the password never shown.
    sessions()
        .args(["--store", "rediss://:hunter2@127.0.0.1:1", "stats"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("hunter2").not());
    sessions()
        .args(["ls"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("SESSION_STORE_URL"));
    sessions()
        .args(["revoke", "--except", "x"])
        .assert()
        .code(2);

    // Nothing listening: 3, at once, for every kind of server; the password hidden.
    for url in [
        "redis://:hunter2@127.0.0.1:1",
        "postgres://postgres:hunter2@127.0.0.1:1/test",
        "mysql://root:hunter2@127.0.0.1:1/test",
        "connect-pg://postgres@127.0.0.1:1/test",
    ] {
        let started = Instant::now();
        let out = sessions().args(["--store", url, "stats"]).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{url}: {}", text(&out.stderr));
        let message = text(&out.stderr);
        assert!(message.contains("cannot reach"), "{url}: {message}");
        assert!(!message.contains("hunter2") && !message.contains("panicked"));
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{url} took long"
        );
    }
    let out = sessions()
        .args(["--json", "--store", "redis://127.0.0.1:1", "ls"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let doc = json_of(&out);
    assert_eq!(doc["error"]["kind"], "unreachable");
    assert_eq!(doc["error"]["exit"], 3);

    // A server that accepts connections and never answers: 3 after --timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let started = Instant::now();
    sessions()
        .args([
            "--timeout",
            "0.5",
            "--store",
            &format!("redis://127.0.0.1:{port}"),
            "ls",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("--timeout"));
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(silent);

    // A missing SQLite file is not created by a read.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    sessions()
        .args(["--store", &format!("sqlite://{}", missing.display()), "ls"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no such SQLite file"));
    assert!(!missing.exists());
}
