//! A Rust service and an express-session service sharing sessions through one store, the way
//! a team migrates from Node one route at a time: log in on one and use the session on the
//! other, log out on one and see the other refuse the cookie, rotate the secret on both. Runs
//! on connect-redis's layout and on connect-pg-simple's table.
//!
//! The Node side is `interop/express/app.js` (see `express_kit`). In CI the test must run;
//! elsewhere it is skipped with a notice when Node, the packages or a server are missing.

mod express_kit;

use std::time::Duration;

use express_kit::{call, drop_table, manager, node_app, rust_app, Shared};
use serde_json::{json, Value};
use session_core::{Config, DuplicateCookies, Secure};
use session_tests::store_suite::{or_skip, test_url, RedisServer};

const OLD: &str = "the secret both services shared first";
const NEW: &str = "the secret both services rotated to";

/// The Rust service, configured by hand as express's options say.
async fn rust_service(shared: &Shared, secrets: &[&str]) -> String {
    let mut builder = Config::builder()
        .cookie_name("connect.sid")
        .secure(Secure::Never)
        .max_age(Some(Duration::from_secs(3600)))
        .duplicate_cookies(DuplicateCookies::FirstOnly);
    for secret in secrets {
        builder = builder.secret(secret);
    }
    rust_app(manager(shared, builder.build().expect("valid config")).await).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_and_express_share_sessions_on_redis() {
    let Some(redis) = or_skip("redis-server", RedisServer::start().await) else {
        return;
    };
    share_sessions(&Shared::Redis(redis.url())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_and_express_share_sessions_on_postgres() {
    let shared = Shared::Postgres {
        url: test_url(
            "SESSION_TEST_POSTGRES_URL",
            "postgres://postgres@127.0.0.1:5432/test",
        ),
        table: format!("session_interop_{}", std::process::id()),
    };
    share_sessions(&shared).await;
    drop_table(&shared).await;
}

async fn share_sessions(shared: &Shared) {
    let Some(mut node) = or_skip("node + express", node_app(shared, &[OLD], None).await) else {
        return;
    };
    let rust = rust_service(shared, &[OLD]).await;

    // Log in on Node, read and change the session on Rust, and back.
    let (body, cookie) = call("POST", format!("{}/login/ann", node.base), "").await;
    assert_eq!(body["user"], "ann");
    let ann = cookie.expect("express sets the cookie");
    let (body, _) = call("GET", format!("{rust}/me"), &ann).await;
    assert_eq!(
        (body["node"].clone(), body["user"].clone()),
        (json!(false), json!("ann"))
    );
    call("POST", format!("{rust}/visit"), &ann).await;
    let (body, _) = call("POST", format!("{rust}/visit"), &ann).await;
    assert_eq!(body["visits"], 2);
    let (body, _) = call("POST", format!("{}/visit", node.base), &ann).await;
    assert_eq!(body["visits"], 3, "node sees rust's writes");
    let (body, _) = call("GET", format!("{rust}/me"), &ann).await;
    assert_eq!(body["visits"], 3, "rust sees node's writes");

    // Log in on Rust, read it on Node.
    let (_, cookie) = call("POST", format!("{rust}/login/bob"), "").await;
    let bob = cookie.expect("rust sets the cookie");
    let (body, _) = call("GET", format!("{}/me", node.base), &bob).await;
    assert_eq!(
        (body["node"].clone(), body["user"].clone()),
        (json!(true), json!("bob"))
    );
    call("POST", format!("{}/visit", node.base), &bob).await;
    let (body, _) = call("GET", format!("{rust}/me"), &bob).await;
    assert_eq!(body["visits"], 1);

    // Log out on one, the other refuses the cookie.
    call("POST", format!("{}/logout", node.base), &ann).await;
    let (body, _) = call("GET", format!("{rust}/me"), &ann).await;
    assert_eq!(
        body["user"],
        Value::Null,
        "rust refuses a session node destroyed"
    );
    call("POST", format!("{rust}/logout"), &bob).await;
    let (body, _) = call("GET", format!("{}/me", node.base), &bob).await;
    assert_eq!(
        body["user"],
        Value::Null,
        "node refuses a session rust destroyed"
    );

    // Rotate the secret on both: the session signed with the old secret lives on.
    let (_, cookie) = call("POST", format!("{}/login/cat", node.base), "").await;
    let cat = cookie.expect("cookie");
    node.child.kill().await.expect("stop node");
    let node = node_app(shared, &[NEW, OLD], None)
        .await
        .expect("node restarts");
    let rust = rust_service(shared, &[NEW, OLD]).await;
    let (body, _) = call("GET", format!("{}/me", node.base), &cat).await;
    assert_eq!(body["user"], "cat", "node keeps the session after rotation");
    let (body, resigned) = call("POST", format!("{rust}/visit"), &cat).await;
    assert_eq!(
        (body["user"].clone(), body["visits"].clone()),
        (json!("cat"), json!(1))
    );
    let resigned = resigned.expect("rust re-signs a cookie of the old secret");
    assert_ne!(resigned, cat);
    let node_new_only = node_app(shared, &[NEW], None).await.expect("node starts");
    let (body, _) = call("GET", format!("{}/me", node_new_only.base), &resigned).await;
    assert_eq!(
        (body["user"].clone(), body["visits"].clone()),
        (json!("cat"), json!(1))
    );
    let (body, _) = call("GET", format!("{}/me", node_new_only.base), &cat).await;
    assert_eq!(
        body["user"],
        Value::Null,
        "the old signature alone no longer verifies"
    );
}
