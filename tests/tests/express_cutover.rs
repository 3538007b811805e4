//! The switch from express's format to the native one with `ExpressCutover`: 1,000 sessions
//! logged in on Node survive it, each is native after its first request on Rust, and what
//! the Node app then reads is what `ExpressCutover`'s documentation says (nothing by
//! default, every session and Rust's writes with `keep_node_copy`).
//!
//! The Node side is `interop/express/app.js` (see `express_kit`). In CI the test must run;
//! elsewhere it is skipped with a notice when Node, the packages or a server are missing.

mod express_kit;

use std::time::Duration;

use express_kit::{call, id_of, node_app, rust_app, Shared};
use futures_util::{stream, StreamExt};
use serde_json::{json, Value};
use session_core::{
    Config, ExpressCookie, ExpressOptions, JsonCodec, SameSite, Secure, SessionManager,
};
use session_stores::{ConnectRedisStore, ExpressCodec, ExpressCutover, RedisStore};
use session_tests::store_suite::{or_skip, RedisServer};

const SECRET: &str = "the secret both services sign with, 32 bytes or more";

/// The express app's options (`app.js`'s defaults), as the preset takes them.
fn express_config() -> Config {
    Config::express(ExpressOptions {
        secret: vec![SECRET.into()],
        resave: false,
        save_uninitialized: false,
        cookie: ExpressCookie {
            max_age: Some(Duration::from_secs(3600)),
            same_site: Some(SameSite::Lax),
            secure: Some(Secure::Never),
            ..ExpressCookie::default()
        },
        ..ExpressOptions::default()
    })
    .expect("valid options")
}

/// The Rust service after the switch: native records under `session:`, express's read once.
async fn switched(url: &str, node_copy: bool) -> String {
    let config = express_config();
    let native = RedisStore::builder([url])
        .prefix("session:")
        .connect()
        .await
        .expect("redis");
    let legacy = ConnectRedisStore::new(RedisStore::connect(url).await.expect("redis"));
    let store = ExpressCutover::new(native, legacy, ExpressCodec::new(&config), JsonCodec)
        .keep_node_copy(node_copy);
    let manager = SessionManager::builder(config)
        .store(store)
        .codec(JsonCodec)
        .build()
        .expect("a manager");
    rust_app(manager).await
}

/// Whether Redis holds `key`.
async fn exists(conn: &mut redis::aio::MultiplexedConnection, key: String) -> bool {
    redis::cmd("EXISTS")
        .arg(key)
        .query_async::<i64>(conn)
        .await
        .expect("EXISTS")
        == 1
}

/// `count` users logged in on Node; their cookies.
async fn node_logins(base: &str, count: usize) -> Vec<(String, String)> {
    stream::iter(0..count)
        .map(|i| async move {
            let user = format!("user{i}");
            let (body, cookie) = call("POST", format!("{base}/login/{user}"), "").await;
            assert_eq!(body["user"], json!(user));
            (user, cookie.expect("express sets a cookie"))
        })
        .buffer_unordered(16)
        .collect()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_session_survives_the_switch() {
    let Some(redis) = or_skip("redis-server", RedisServer::start().await) else {
        return;
    };
    let url = redis.url();
    let shared = Shared::Redis(url.clone());
    let Some(node) = or_skip("node + express", node_app(&shared, &[SECRET], None).await) else {
        return;
    };
    let client = redis::Client::open(url.as_str()).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");

    let users = node_logins(&node.base, 1_000).await;
    let rust = switched(&url, false).await;
    let rust = rust.as_str();
    let seen: Vec<Value> = stream::iter(&users)
        .map(|(_, cookie)| async move { call("GET", format!("{rust}/me"), cookie).await.0 })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(
        seen.iter().all(|body| body["user"].is_string()),
        "every session is still logged in"
    );
    let mut native = 0;
    let mut legacy = 0;
    for (user, cookie) in &users {
        let (body, _) = call("GET", format!("{rust}/me"), cookie).await;
        assert_eq!(body["user"], json!(user), "no session crossed");
        native += usize::from(exists(&mut conn, format!("session:{}", id_of(cookie))).await);
        legacy += usize::from(exists(&mut conn, format!("sess:{}", id_of(cookie))).await);
    }
    assert_eq!(
        (native, legacy),
        (1_000, 0),
        "every session is native, none in express's format"
    );

    // Without a Node copy, Node no longer finds them: a request routed there starts anew.
    let (body, _) = call("GET", format!("{}/me", node.base), &users[0].1).await;
    assert_eq!(body["user"], Value::Null);
    // Rust's writes to a moved session carry on as usual.
    let (user, cookie) = &users[1];
    let (body, _) = call("POST", format!("{rust}/visit"), cookie).await;
    assert_eq!(
        (body["user"].clone(), body["visits"].clone()),
        (json!(user), json!(1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_node_copy_node_keeps_reading() {
    let Some(redis) = or_skip("redis-server", RedisServer::start().await) else {
        return;
    };
    let url = redis.url();
    let shared = Shared::Redis(url.clone());
    let Some(node) = or_skip("node + express", node_app(&shared, &[SECRET], None).await) else {
        return;
    };
    let users = node_logins(&node.base, 20).await;
    let rust = switched(&url, true).await;
    for (user, cookie) in &users {
        let (body, _) = call("POST", format!("{rust}/visit"), cookie).await;
        assert_eq!(
            (body["user"].clone(), body["visits"].clone()),
            (json!(user), json!(1))
        );
        let (body, _) = call("GET", format!("{}/me", node.base), cookie).await;
        assert_eq!(
            (body["user"].clone(), body["visits"].clone()),
            (json!(user), json!(1)),
            "Node reads the session and Rust's write"
        );
    }
    // A logout on Rust ends the session on both.
    call("POST", format!("{rust}/logout"), &users[0].1).await;
    let (body, _) = call("GET", format!("{}/me", node.base), &users[0].1).await;
    assert_eq!(body["user"], Value::Null);
}
