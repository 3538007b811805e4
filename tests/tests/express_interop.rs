//! A Rust service and an express-session service sharing sessions through one Redis, the way
//! a team migrates from Node one route at a time: log in on one and use the session on the
//! other, log out on one and see the other refuse the cookie, rotate the secret on both.
//!
//! The Node side is `interop/express/app.js` (express, express-session, connect-redis; its
//! packages are installed by `scripts/services.sh`). In CI the test must run; elsewhere it is
//! skipped with a notice when Node, the packages or `redis-server` are missing.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Path;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use session_axum::{Session, SessionError, SessionLayer};
use session_core::{Config, DuplicateCookies, Secure, SessionManager};
use session_stores::{ConnectRedisStore, ExpressCodec, RedisStore};
use session_tests::store_suite::{or_skip, RedisServer};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const OLD: &str = "the secret both services shared first";
const NEW: &str = "the secret both services rotated to";

async fn me(session: &Session) -> Result<Json<Value>, SessionError> {
    let user: Option<String> = session.get("user").await?;
    let visits: u64 = session.get("visits").await?.unwrap_or(0);
    Ok(Json(json!({"node": false, "user": user, "visits": visits})))
}

/// The Rust service: the same four routes as the Node one.
async fn rust_app(redis_url: &str, secrets: &[&str]) -> String {
    let mut builder = Config::builder()
        .cookie_name("connect.sid")
        .secure(Secure::Never)
        .max_age(Some(Duration::from_secs(3600)))
        .duplicate_cookies(DuplicateCookies::FirstOnly);
    for secret in secrets {
        builder = builder.secret(secret);
    }
    let config = builder.build().expect("valid config");
    let store = ConnectRedisStore::new(RedisStore::connect(redis_url).await.expect("redis"));
    let codec = ExpressCodec::new(&config);
    let manager = SessionManager::from_parts(config, Arc::new(store), Arc::new(codec));
    let app = Router::new()
        .route(
            "/login/{user}",
            post(|session: Session, Path(user): Path<String>| async move {
                session.regenerate().await?;
                session.insert("user", &user).await?;
                session.insert("visits", 0).await?;
                me(&session).await
            }),
        )
        .route(
            "/visit",
            post(|session: Session| async move {
                let visits: u64 = session.get("visits").await?.unwrap_or(0);
                session.insert("visits", visits + 1).await?;
                me(&session).await
            }),
        )
        .route(
            "/me",
            get(|session: Session| async move { me(&session).await }),
        )
        .route(
            "/logout",
            post(|session: Session| async move {
                session.destroy();
                Ok::<_, SessionError>(Json(json!({"node": false, "user": null, "visits": 0})))
            }),
        )
        .layer(SessionLayer::new(manager));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// The Node service, killed when dropped.
struct Node {
    child: Child,
    base: String,
}

async fn node_app(redis_url: &str, secrets: &[&str]) -> Result<Node, String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../interop/express");
    if !std::path::Path::new(dir)
        .join("node_modules/express-session")
        .exists()
    {
        return Err(format!(
            "{dir}/node_modules is missing (run scripts/services.sh)"
        ));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut child = Command::new("node")
        .arg("app.js")
        .current_dir(dir)
        .env("PORT", port.to_string())
        .env("REDIS_URL", redis_url)
        .env(
            "SECRETS",
            serde_json::to_string(secrets).map_err(|e| e.to_string())?,
        )
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start node: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
    match ready {
        Ok(Ok(Some(line))) if line.starts_with("listening") => {}
        other => return Err(format!("node did not start: {other:?}")),
    }
    Ok(Node {
        child,
        base: format!("http://127.0.0.1:{port}"),
    })
}

/// One request with an explicit cookie; returns the JSON body and the new cookie, if any.
async fn call(method: &str, url: String, cookie: &str) -> (Value, Option<String>) {
    let client = reqwest::Client::new();
    let req = match method {
        "POST" => client.post(&url),
        _ => client.get(&url),
    };
    let req = if cookie.is_empty() {
        req
    } else {
        req.header("cookie", cookie)
    };
    let res = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    assert!(
        res.status().is_success(),
        "{method} {url}: {}",
        res.status()
    );
    let set = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    let text = res.text().await.expect("body");
    (serde_json::from_str(&text).expect("JSON body"), set)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_and_express_share_sessions() {
    let Some(redis) = or_skip("redis-server", RedisServer::start().await) else {
        return;
    };
    let url = redis.url();
    let Some(mut node) = or_skip("node + express", node_app(&url, &[OLD]).await) else {
        return;
    };
    let rust = rust_app(&url, &[OLD]).await;

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
    let node = node_app(&url, &[NEW, OLD]).await.expect("node restarts");
    let rust = rust_app(&url, &[NEW, OLD]).await;
    let (body, _) = call("GET", format!("{}/me", node.base), &cat).await;
    assert_eq!(body["user"], "cat", "node keeps the session after rotation");
    let (body, resigned) = call("POST", format!("{rust}/visit"), &cat).await;
    assert_eq!(
        (body["user"].clone(), body["visits"].clone()),
        (json!("cat"), json!(1))
    );
    let resigned = resigned.expect("rust re-signs a cookie of the old secret");
    assert_ne!(resigned, cat);
    let node_new_only = node_app(&url, &[NEW]).await.expect("node starts");
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
