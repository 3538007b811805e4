//! The `poem` example's application: a visit counter with login and logout, on
//! [`session_poem`]. `examples/poem.rs` serves it; `tests/frameworks.rs` drives it over HTTP.

use poem::web::Form;
use poem::{get, handler, post, Endpoint, EndpointExt, Response, Route};
use serde::Deserialize;

use session_poem::{Session, SessionError, SessionManager, SessionMiddleware};

/// The routes, with every request's session from `manager`.
pub fn app(manager: SessionManager) -> impl Endpoint<Output = Response> {
    Route::new()
        .at("/", get(count))
        .at("/login", post(login))
        .at("/logout", post(logout))
        .with(SessionMiddleware::new(manager))
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
async fn login(session: Session, Form(login): Form<Login>) -> Result<String, SessionError> {
    session.regenerate().await?; // a new id whenever privileges change
    session.set_user(Some(&login.name)).await?;
    session.insert("name", &login.name).await?;
    Ok(format!("signed in as {}\n", login.name))
}

/// `POST /logout`: deletes the session and clears the cookie.
#[handler]
async fn logout(session: Session) -> &'static str {
    session.destroy();
    "signed out\n"
}
