//! The Node side of the express tests: `interop/express/app.js` (express-session on
//! connect-redis or connect-pg-simple; its packages are installed by `scripts/services.sh`),
//! and requests with explicit cookies.
#![allow(dead_code)] // Each test binary uses a different part.

use std::process::Stdio;
use std::time::Duration;

use axum::extract::Path;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use session_axum::{Session, SessionError, SessionLayer};
use session_core::{Config, SessionManager};
use session_stores::{ConnectPgStore, ConnectRedisStore, ExpressCodec, PostgresStore, RedisStore};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Where both sides keep the sessions.
#[derive(Debug, Clone)]
pub enum Shared {
    /// connect-redis's layout (`sess:<id>`) on this Redis.
    Redis(String),
    /// connect-pg-simple's table on this PostgreSQL database.
    Postgres { url: String, table: String },
}

/// The Node service, killed when dropped.
pub struct Node {
    pub child: Child,
    pub base: String,
}

/// Starts `app.js` signing with `secrets` (first signs), with express-session's `options`
/// (`None`: the app's own).
pub async fn node_app(
    shared: &Shared,
    secrets: &[&str],
    options: Option<&Value>,
) -> Result<Node, String> {
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
    let mut command = Command::new("node");
    command
        .arg("app.js")
        .current_dir(dir)
        .env("PORT", port.to_string())
        .env(
            "SECRETS",
            serde_json::to_string(secrets).map_err(|e| e.to_string())?,
        )
        // express-session's deprecation notices for options left at their defaults.
        .env("NO_DEPRECATION", "express-session")
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    match shared {
        Shared::Redis(url) => command.env("STORE", "redis").env("REDIS_URL", url),
        Shared::Postgres { url, table } => command
            .env("STORE", "pg")
            .env("DATABASE_URL", url)
            .env("TABLE", table),
    };
    if let Some(options) = options {
        command.env("OPTIONS", options.to_string());
    }
    let mut child = command
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

/// What a request got back.
#[derive(Debug)]
pub struct Reply {
    pub body: Value,
    /// The whole `Set-Cookie` header, if any.
    pub set_cookie: Option<String>,
}

impl Reply {
    /// `name=value` of the `Set-Cookie`, to send back.
    pub fn cookie(&self) -> Option<String> {
        let set = self.set_cookie.as_deref()?;
        Some(set.split(';').next().unwrap_or(set).to_owned())
    }
}

/// One request with an explicit cookie and extra headers; a non-2xx status fails the test.
pub async fn call_with(method: &str, url: String, cookie: &str, headers: &[(&str, &str)]) -> Reply {
    let client = reqwest::Client::new();
    let mut req = match method {
        "POST" => client.post(&url),
        _ => client.get(&url),
    };
    if !cookie.is_empty() {
        req = req.header("cookie", cookie);
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    assert!(
        res.status().is_success(),
        "{method} {url}: {}",
        res.status()
    );
    let set_cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = res.text().await.expect("body");
    Reply {
        body: serde_json::from_str(&text).expect("JSON body"),
        set_cookie,
    }
}

/// [`call_with`] without extra headers, returning the body and the `name=value` to send back.
pub async fn call(method: &str, url: String, cookie: &str) -> (Value, Option<String>) {
    let reply = call_with(method, url, cookie, &[]).await;
    let cookie = reply.cookie();
    (reply.body, cookie)
}

/// `{"node": false, "user": .., "visits": ..}`, what both services answer.
async fn me(session: &Session) -> Result<Json<Value>, SessionError> {
    let user: Option<String> = session.get("user").await?;
    let visits: u64 = session.get("visits").await?.unwrap_or(0);
    Ok(Json(json!({"node": false, "user": user, "visits": visits})))
}

/// The Rust service, the same four routes as the Node one, on `manager`; its base URL.
pub async fn rust_app(manager: SessionManager) -> String {
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

/// A manager on `shared` in express's layout: `ExpressCodec` beside connect-redis's keys or
/// connect-pg-simple's table.
pub async fn manager(shared: &Shared, config: Config) -> SessionManager {
    let builder = SessionManager::builder(config).codec_from(ExpressCodec::new);
    let builder = match shared {
        Shared::Redis(url) => builder.store(ConnectRedisStore::new(
            RedisStore::connect(url).await.expect("redis"),
        )),
        Shared::Postgres { url, table } => builder.store(pg_store(url, table).await),
    };
    builder.build().expect("a manager")
}

/// connect-pg-simple's table `table`, created if missing.
pub async fn pg_store(url: &str, table: &str) -> ConnectPgStore {
    let native = PostgresStore::connect(url).await.expect("postgres");
    let store = ConnectPgStore::new(native).table_name(table);
    store
        .create_table()
        .await
        .expect("connect-pg-simple's table");
    store
}

/// Drops the test's table.
pub async fn drop_table(shared: &Shared) {
    if let Shared::Postgres { url, table } = shared {
        let pool = sqlx::PgPool::connect(url).await.expect("postgres");
        let sql = format!("DROP TABLE IF EXISTS \"{table}\"");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .expect("DROP TABLE");
    }
}

/// The id inside a `connect.sid=s%3A<id>.<mac>` pair.
pub fn id_of(cookie: &str) -> String {
    let value = cookie.split_once("s%3A").map_or("", |(_, v)| v);
    value.split('.').next().unwrap_or("").to_owned()
}
