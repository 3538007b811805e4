//! `Config::express` against express-session 1.19 itself: for several option sets, on
//! connect-redis's layout and on connect-pg-simple's table, the Rust service and the express
//! app answer the same requests with the same `Set-Cookie` bytes (the `Expires` date aside)
//! and write the same records (the expiry aside). The options are one JSON object per set,
//! handed to express as they are and to the Rust side through [`options`].
//!
//! The Node side is `interop/express/app.js` (see `express_kit`). In CI the test must run;
//! elsewhere it is skipped with a notice when Node, the packages or a server are missing.

mod express_kit;

use std::time::Duration;

use express_kit::{call_with, drop_table, id_of, manager, node_app, rust_app, Reply, Shared};
use serde_json::{json, Value};
use session_core::{Config, ExpressCookie, ExpressOptions, SameSite, Secure, Unset};
use session_tests::store_suite::{or_skip, test_url, RedisServer};

const SECRET: &str = "the secret both services sign with, 32 bytes or more";

/// The option sets, as express takes them.
fn option_sets() -> Vec<(&'static str, Value)> {
    vec![
        ("defaults", json!({})),
        (
            "secure behind a trusted proxy",
            json!({"proxy": true, "resave": false, "saveUninitialized": false,
                   "cookie": {"secure": true}}),
        ),
        (
            "sameSite strict with maxAge",
            json!({"resave": false, "saveUninitialized": false,
                   "cookie": {"sameSite": "strict", "maxAge": 3_600_000}}),
        ),
        (
            "rolling",
            json!({"rolling": true, "resave": false, "saveUninitialized": false,
                   "cookie": {"maxAge": 600_000, "sameSite": "lax"}}),
        ),
        (
            "partitioned",
            json!({"proxy": true, "resave": false, "saveUninitialized": true,
                   "cookie": {"partitioned": true, "secure": true, "sameSite": "none",
                              "maxAge": 86_400_000, "path": "/", "httpOnly": true}}),
        ),
    ]
}

/// express-session's options JSON as [`ExpressOptions`].
fn options(json: &Value) -> ExpressOptions {
    let flag = |v: &Value, default: bool| v.as_bool().unwrap_or(default);
    let cookie = &json["cookie"];
    let defaults = ExpressOptions::default();
    ExpressOptions {
        secret: vec![SECRET.into()],
        rolling: flag(&json["rolling"], defaults.rolling),
        resave: flag(&json["resave"], defaults.resave),
        save_uninitialized: flag(&json["saveUninitialized"], defaults.save_uninitialized),
        unset: match json["unset"].as_str() {
            Some("destroy") => Unset::Destroy,
            _ => Unset::Keep,
        },
        proxy: json["proxy"].as_bool(),
        cookie: ExpressCookie {
            max_age: cookie["maxAge"].as_u64().map(Duration::from_millis),
            secure: match &cookie["secure"] {
                Value::Bool(true) => Some(Secure::Always),
                Value::Bool(false) => Some(Secure::Never),
                Value::String(auto) if auto == "auto" => Some(Secure::Auto),
                _ => None,
            },
            same_site: match &cookie["sameSite"] {
                Value::Bool(true) => Some(SameSite::Strict),
                Value::String(s) if s == "strict" => Some(SameSite::Strict),
                Value::String(s) if s == "lax" => Some(SameSite::Lax),
                Value::String(s) if s == "none" => Some(SameSite::None),
                _ => None,
            },
            http_only: flag(&cookie["httpOnly"], true),
            domain: cookie["domain"].as_str().map(str::to_owned),
            path: cookie["path"].as_str().unwrap_or("/").to_owned(),
            partitioned: cookie["partitioned"].as_bool(),
        },
        ..defaults
    }
}

/// A `Set-Cookie` with its `Expires` date masked.
fn without_date(set_cookie: &str) -> String {
    set_cookie
        .split("; ")
        .map(|part| match part.strip_prefix("Expires=") {
            Some(_) => "Expires=<date>",
            None => part,
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A `Set-Cookie` with its value and `Expires` date masked: two sessions' cookies compare.
fn shape(set_cookie: &str) -> String {
    let masked = without_date(set_cookie);
    match masked.split_once(';') {
        Some((pair, rest)) => format!("{}=<value>;{rest}", pair.split('=').next().unwrap_or("")),
        None => format!("{}=<value>", masked.split('=').next().unwrap_or("")),
    }
}

/// A stored record with its `expires` masked and `user` replaced, so two compare.
fn record_shape(record: &str, user: &str) -> String {
    let mut value: Value = serde_json::from_str(record).expect("a JSON record");
    if value["cookie"]["expires"].is_string() {
        value["cookie"]["expires"] = json!("<date>");
    }
    let text = serde_json::to_string(&value).expect("JSON");
    // serde_json sorts keys; the order each side wrote is compared on the raw text below.
    text.replace(&format!("\"{user}\""), "\"<user>\"")
}

/// The raw record of `id`, as the store holds it.
async fn record(shared: &Shared, id: &str) -> Option<String> {
    match shared {
        Shared::Redis(url) => {
            let client = redis::Client::open(url.as_str()).expect("redis url");
            let mut conn = client
                .get_multiplexed_async_connection()
                .await
                .expect("redis");
            redis::cmd("GET")
                .arg(format!("sess:{id}"))
                .query_async(&mut conn)
                .await
                .expect("GET")
        }
        Shared::Postgres { url, table } => {
            let pool = sqlx::PgPool::connect(url).await.expect("postgres");
            let sql = format!("SELECT sess::text FROM \"{table}\" WHERE sid = $1");
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(&pool)
                .await
                .expect("SELECT")
        }
    }
}

/// The keys of the record's `cookie` object in the order written.
fn cookie_keys(record: &str) -> Vec<String> {
    let start = record.find("\"cookie\":{").expect("a cookie object") + 10;
    let end = start + record[start..].find('}').expect("its end");
    record[start..end]
        .split(',')
        .filter_map(|field| field.split(':').next())
        .map(|key| key.trim_matches('"').to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preset_answers_as_express_on_redis() {
    let Some(redis) = or_skip("redis-server", RedisServer::start().await) else {
        return;
    };
    for (name, json) in option_sets() {
        compare(name, &json, &Shared::Redis(redis.url())).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preset_answers_as_express_on_postgres() {
    let url = test_url(
        "SESSION_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    );
    for (i, (name, json)) in option_sets().into_iter().enumerate() {
        let table = format!("session_preset_{}_{i}", std::process::id());
        let shared = Shared::Postgres {
            url: url.clone(),
            table,
        };
        compare(name, &json, &shared).await;
        drop_table(&shared).await;
    }
}

/// The same requests to both services under one option set.
async fn compare(set: &str, json: &Value, shared: &Shared) {
    let Some(node) = or_skip(
        "node + express",
        node_app(shared, &[SECRET], Some(json)).await,
    ) else {
        return;
    };
    let config = Config::express(options(json)).unwrap_or_else(|e| panic!("{set}: {e}"));
    let rust = rust_app(manager(shared, config).await).await;
    let https: &[(&str, &str)] = &[("x-forwarded-proto", "https")];
    let both = |path: &'static str, method: &'static str, cookie: String| {
        let node = format!("{}{path}", node.base);
        let rust = format!("{rust}{path}");
        async move {
            let n = call_with(method, node, &cookie, https).await;
            let r = call_with(method, rust, &cookie, https).await;
            (n, r)
        }
    };
    let same = |what: &str, n: &Reply, r: &Reply, compare: fn(&str) -> String| {
        assert_eq!(
            n.set_cookie.as_deref().map(compare),
            r.set_cookie.as_deref().map(compare),
            "{set}, {what}: express's Set-Cookie, then ours"
        );
    };

    // A visitor without a cookie: a cookie only when uninitialized sessions are saved.
    let (n, r) = both("/me", "GET", String::new()).await;
    same("a first visit", &n, &r, shape);

    // A login on each side: new sessions, cookies of the same shape, the same records.
    let (n, r) = both("/login/ann", "POST", String::new()).await;
    same("a login", &n, &r, shape);
    let node_cookie = n.cookie().expect("express sets a cookie at login");
    let rust_cookie = r.cookie().expect("a cookie at login");
    let node_record = record(shared, &id_of(&node_cookie))
        .await
        .expect("express saved");
    let rust_record = record(shared, &id_of(&rust_cookie)).await.expect("saved");
    assert_eq!(
        record_shape(&node_record, "ann"),
        record_shape(&rust_record, "ann"),
        "{set}: express's record, then ours"
    );
    assert_eq!(
        cookie_keys(&node_record),
        cookie_keys(&rust_record),
        "{set}: cookie fields"
    );

    // The session express made, used on both sides: byte for byte the same Set-Cookie.
    let r = call_with("POST", format!("{rust}/visit"), &node_cookie, https).await;
    let after_rust = record(shared, &id_of(&node_cookie)).await.expect("saved");
    let n = call_with("POST", format!("{}/visit", node.base), &node_cookie, https).await;
    let after_node = record(shared, &id_of(&node_cookie)).await.expect("saved");
    assert_eq!(
        (r.body["visits"].clone(), n.body["visits"].clone()),
        (json!(1), json!(2))
    );
    same("a write", &n, &r, without_date);
    assert_eq!(
        record_shape(&after_rust, "ann").replace("\"visits\":1", "\"visits\":2"),
        record_shape(&after_node, "ann"),
        "{set}: the record after a write on each side"
    );
    let (n, r) = both("/me", "GET", node_cookie.clone()).await;
    same("a read", &n, &r, without_date);
    assert_eq!(r.body["user"], "ann", "{set}");

    // express touches the expiry on every request: so does the preset.
    if json["cookie"]["maxAge"].is_u64() {
        if let Shared::Redis(url) = shared {
            tokio::time::sleep(Duration::from_millis(1_100)).await;
            call_with("GET", format!("{rust}/me"), &node_cookie, https).await;
            let client = redis::Client::open(url.as_str()).expect("redis url");
            let mut conn = client
                .get_multiplexed_async_connection()
                .await
                .expect("redis");
            let pttl: i64 = redis::cmd("PTTL")
                .arg(format!("sess:{}", id_of(&node_cookie)))
                .query_async(&mut conn)
                .await
                .expect("PTTL");
            let max_age = json["cookie"]["maxAge"].as_i64().unwrap_or(0);
            assert!(
                pttl > max_age - 1_000,
                "{set}: a read touched the expiry ({pttl} ms left)"
            );
        }
    }

    // A `Secure` cookie is not sent over plain HTTP (express: "not secured").
    if json["cookie"]["secure"] == json!(true) {
        let n = call_with("POST", format!("{}/login/cat", node.base), "", &[]).await;
        let r = call_with("POST", format!("{rust}/login/cat"), "", &[]).await;
        same("a login over plain HTTP", &n, &r, shape);
        assert_eq!(r.set_cookie, None, "{set}");
    }

    // Regenerate starts an empty session on both: a second login drops the visits.
    let n = call_with(
        "POST",
        format!("{}/login/bob", node.base),
        &node_cookie,
        https,
    )
    .await;
    let r = call_with("POST", format!("{rust}/login/bob",), &rust_cookie, https).await;
    same("a second login", &n, &r, shape);
    assert_eq!(
        record(shared, &id_of(&node_cookie)).await,
        None,
        "{set}: express dropped the old id"
    );
    assert_eq!(
        record(shared, &id_of(&rust_cookie)).await,
        None,
        "{set}: the old id is gone"
    );
}
