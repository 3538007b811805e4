//! The `rocket` example's application: a visit counter with login and logout, on
//! [`session_rocket`]. `examples/rocket.rs` serves it; `tests/frameworks.rs` drives it over HTTP.

use rocket::form::{Form, FromForm};
use rocket::{Build, Rocket};

use session_rocket::{Session, SessionError, SessionFairing, SessionManager};

/// The routes, with every request's session from `manager`; configure the address, launch.
pub fn app(manager: SessionManager) -> Rocket<Build> {
    rocket::build()
        .attach(SessionFairing::new(manager))
        .mount("/", rocket::routes![count, login, logout])
}

/// `GET /`: counts this browser's visits, and says who is signed in.
#[rocket::get("/")]
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
#[derive(FromForm)]
pub struct Login {
    /// Who signs in.
    pub name: String,
}

/// `POST /login` with the form field `name` (a real app checks a password first).
#[rocket::post("/login", data = "<login>")]
async fn login(session: Session, login: Form<Login>) -> Result<String, SessionError> {
    session.regenerate().await?; // a new id whenever privileges change
    session.set_user(Some(&login.name)).await?;
    session.insert("name", &login.name).await?;
    Ok(format!("signed in as {}\n", login.name))
}

/// `POST /logout`: deletes the session and clears the cookie.
#[rocket::post("/logout")]
fn logout(session: Session) -> &'static str {
    session.destroy();
    "signed out\n"
}
