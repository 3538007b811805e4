//! The `actix` example's application: a visit counter with login and logout, on
//! [`session_actix`]. `examples/actix.rs` serves it; `tests/frameworks.rs` drives it over HTTP.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use serde::Deserialize;

use session_actix::{Session, SessionError, SessionManager, SessionMiddleware};

/// The routes on `listener`, with every request's session from `manager`; await it to serve.
pub fn server(manager: SessionManager, listener: TcpListener) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .wrap(SessionMiddleware::new(manager.clone()))
            .route("/", web::get().to(count))
            .route("/login", web::post().to(login))
            .route("/logout", web::post().to(logout))
    })
    .listen(listener)?
    .run();
    Ok(server)
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
async fn login(session: Session, login: web::Form<Login>) -> Result<String, SessionError> {
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
