//! The `express_migration` example's application: a Rust service taking over from an
//! express-session app (`interop/express/app.js`, on connect-redis) without logging anyone
//! out. It serves the express app's four routes (`POST /login/{user}`, `POST /visit`,
//! `GET /me`, `POST /logout`) in one of three stages:
//!
//! 1. [`Stage::Share`]: beside the Node app, on its Redis records, its cookie and its secret,
//!    behaving as express-session does with its options ([`Config::express`]);
//! 2. [`Stage::Switch`]: the Node app retired; sessions are kept in this library's own
//!    format, and each express record is moved over on its first request
//!    ([`ExpressCutover`]; [`Stage::Window`] also keeps a copy Node can read);
//! 3. [`Stage::Native`]: once every express session has expired (the cookie's `maxAge`
//!    after the switch), the cut-over store goes.

use std::time::Duration;

use anyhow::{bail, Context};
use axum::extract::Path;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use session_axum::{
    Config, ConnectRedisStore, ExpressCodec, ExpressCookie, ExpressCutover, ExpressOptions,
    JsonCodec, RedisStore, SameSite, Secure, Session, SessionError, SessionLayer, SessionManager,
};

/// Where the migration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Sharing the express app's sessions.
    Share,
    /// Sessions moving to the native format; Node no longer reads them.
    Switch,
    /// As [`Stage::Switch`], with a copy in express's format that Node still reads.
    Window,
    /// The native format alone.
    Native,
}

impl std::str::FromStr for Stage {
    type Err = anyhow::Error;
    fn from_str(text: &str) -> anyhow::Result<Self> {
        Ok(match text {
            "share" => Self::Share,
            "switch" => Self::Switch,
            "window" => Self::Window,
            "native" => Self::Native,
            other => bail!("unknown stage {other:?}: share, switch, window or native"),
        })
    }
}

/// The express app's `session({..})` options (`interop/express/app.js`), as Rust takes them.
/// `secret` is its secret list; a first one shorter than 32 bytes (express's usual
/// `keyboard cat`) only signs with the explicit opt-in below.
pub fn config(secrets: &[String]) -> anyhow::Result<Config> {
    let short = secrets.first().is_some_and(|s| s.len() < 32);
    let config = Config::express(ExpressOptions {
        secret: secrets.to_vec(),
        resave: false,
        save_uninitialized: false,
        cookie: ExpressCookie {
            max_age: Some(Duration::from_secs(3600)),
            secure: Some(Secure::Never),
            same_site: Some(SameSite::Lax),
            ..ExpressCookie::default()
        },
        // Signing with a short secret is as weak as that secret: put a strong one first
        // (in both apps) as soon as the Node app can take it.
        sign_with_short_secret: short,
        ..ExpressOptions::default()
    })?;
    Ok(config)
}

/// The manager for `stage`, on the Redis at `redis_url`: express's records under `sess:`,
/// the native ones under `session:`.
pub async fn manager(
    stage: Stage,
    secrets: &[String],
    redis_url: &str,
) -> anyhow::Result<SessionManager> {
    let config = config(secrets)?;
    let redis = RedisStore::connect(redis_url)
        .await
        .context("cannot reach Redis")?;
    let native = || async {
        RedisStore::builder([redis_url])
            .prefix("session:")
            .connect()
            .await
            .context("cannot reach Redis")
    };
    let express = ExpressCodec::new(&config);
    let builder = SessionManager::builder(config);
    let manager = match stage {
        Stage::Share => builder
            .store(ConnectRedisStore::new(redis))
            .codec(express)
            .build()?,
        Stage::Switch | Stage::Window => {
            let store = ExpressCutover::new(
                native().await?,
                ConnectRedisStore::new(redis),
                express,
                JsonCodec,
            )
            .keep_node_copy(stage == Stage::Window);
            builder.store(store).codec(JsonCodec).build()?
        }
        Stage::Native => builder.store(native().await?).codec(JsonCodec).build()?,
    };
    Ok(manager)
}

/// `{"node": false, "user": .., "visits": ..}`, as the Node app answers.
async fn me(session: &Session) -> Result<Json<Value>, SessionError> {
    let user: Option<String> = session.get("user").await?;
    let visits: u64 = session.get("visits").await?.unwrap_or(0);
    Ok(Json(json!({"node": false, "user": user, "visits": visits})))
}

/// The express app's routes on `manager`.
pub fn app(manager: SessionManager) -> Router {
    Router::new()
        .route(
            "/login/{user}",
            post(|session: Session, Path(user): Path<String>| async move {
                // As express's `req.session.regenerate`: a new id and an empty session.
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
        .layer(SessionLayer::new(manager))
}
