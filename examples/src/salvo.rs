//! The `salvo` example's application: a visit counter with login and logout, on
//! [`session_salvo`]. `examples/salvo.rs` serves it; `tests/frameworks.rs` drives it over HTTP.

use salvo::extract::FormBody;
use salvo::prelude::*;
use serde::Deserialize;

use session_salvo::{Session, SessionError, SessionManager, SessionMiddleware};

/// The routes, with every request's session from `manager`.
pub fn router(manager: SessionManager) -> Router {
    Router::new()
        .hoop(SessionMiddleware::new(manager))
        .get(count)
        .push(Router::with_path("login").post(login))
        .push(Router::with_path("logout").post(logout))
}

/// `GET /`: counts this browser's visits, and says who is signed in.
#[handler]
async fn count(session: Session) -> Result<String, SessionError> {
    let visits: u64 = session.get("visits").await?.unwrap_or(0) + 1;
    session.insert("visits", visits).await?;
    let name: Option<String> = session.get("name").await?;
    Ok(match name {
        Some(name) => format!("visit {visits}, signed in as {name}\n"),
        None => format!("visit {visits}\n"),
    })
}

/// The login form.
#[derive(Deserialize)]
pub struct Login {
    /// Who signs in.
    pub name: String,
}

/// `POST /login` with the form field `name` (a real app checks a password first).
#[handler]
async fn login(session: Session, form: FormBody<Login>) -> Result<String, SessionError> {
    let Login { name } = form.into_inner();
    session.regenerate().await?; // a new id whenever privileges change
    session.set_user(Some(&name)).await?;
    session.insert("name", &name).await?;
    Ok(format!("signed in as {name}\n"))
}

/// `POST /logout`: deletes the session and clears the cookie.
#[handler]
async fn logout(session: Session) -> &'static str {
    session.destroy();
    "signed out\n"
}
