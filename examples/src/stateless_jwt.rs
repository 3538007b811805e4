//! The `stateless_jwt` example's application: a JSON API whose sessions travel whole in a
//! JWT in the `Authorization: Bearer` header; nothing is stored on the server.
//! `examples/stateless_jwt.rs` serves it; `tests/stateless_jwt.rs` drives it over HTTP.
//!
//! A new token comes back in the `X-Session-Token` response header whenever the session
//! changes. A token stays valid until it expires (24 hours after its last change, unless the
//! configuration says otherwise), even after the client drops it: to end sessions early, keep
//! a list of revoked ones with `SessionManagerBuilder::revocations(store)`.

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use session_axum::{Session, SessionError, SessionLayer, SessionManager};

/// The routes, with every request's session from `manager`.
pub fn app(manager: SessionManager) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/me", get(me))
        .layer(SessionLayer::new(manager))
}

/// The login request's body.
#[derive(Deserialize)]
pub struct Login {
    /// Who signs in.
    pub name: String,
}

/// `POST /login` with `{"name": ...}` (a real API checks a password first): the token is in
/// the response's `X-Session-Token` header.
async fn login(session: Session, Json(login): Json<Login>) -> Result<Json<Value>, SessionError> {
    session.regenerate().await?; // a new session id (the JWT's `jti`)
    session.insert("sub", &login.name).await?; // the JWT's subject claim
    Ok(Json(json!({ "name": login.name })))
}

/// `GET /me` with `Authorization: Bearer <token>`: who the token is for.
async fn me(session: Session) -> Result<(StatusCode, Json<Value>), SessionError> {
    Ok(match session.get::<String>("sub").await? {
        Some(name) => (StatusCode::OK, Json(json!({ "name": name }))),
        None => (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "sign in at POST /login" })),
        ),
    })
}
