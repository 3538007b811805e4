//! The `warp` example's application: a visit counter with login and logout, on
//! [`session_warp`]. `examples/warp.rs` serves it; `tests/frameworks.rs` drives it over HTTP.

use serde::Deserialize;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::Filter;

use session_warp::{Session, SessionError, SessionManager, Sessions};

/// The routes, with every request's session from `manager`.
pub fn routes(manager: SessionManager) -> BoxedFilter<(Response,)> {
    let sessions = Sessions::new(manager);
    let form = warp::body::content_length_limit(4096).and(warp::body::form());
    let count = warp::path::end().and(sessions.handle(count));
    let login = warp::path!("login").and(sessions.handle_with(form, login));
    let logout = warp::path!("logout").and(sessions.handle(logout));
    let post = warp::post().and(login.or(logout).unify());
    warp::get().and(count).or(post).unify().boxed()
}

/// `GET /`: counts this browser's visits, and says who is signed in.
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
async fn login(login: Login, session: Session) -> Result<String, SessionError> {
    session.regenerate().await?; // a new id whenever privileges change
    session.set_user(Some(&login.name)).await?;
    session.insert("name", &login.name).await?;
    Ok(format!("signed in as {}\n", login.name))
}

/// `POST /logout`: deletes the session and clears the cookie.
async fn logout(session: Session) -> &'static str {
    session.destroy();
    "signed out\n"
}
