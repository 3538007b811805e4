//! The request handlers.

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use session_axum::{Session, SessionError};
use session_core::SessionManager;

use crate::pages;

/// How long "remember me" keeps the session.
pub const REMEMBER_FOR: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Longest accepted user name, in characters.
const MAX_NAME_CHARS: usize = 64;

const USER: &str = "user";
const VISITS: &str = "visits";
const REMEMBERED: &str = "remembered";

pub(crate) async fn home(session: Session) -> Result<Html<String>, SessionError> {
    let user: Option<String> = session.get(USER).await?;
    Ok(Html(pages::login(user.as_deref(), None)))
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    name: String,
}

pub(crate) async fn login(
    session: Session,
    Form(form): Form<LoginForm>,
) -> Result<Response, SessionError> {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        let error = format!("Please type a name of 1 to {MAX_NAME_CHARS} characters.");
        return Ok((
            StatusCode::BAD_REQUEST,
            Html(pages::login(None, Some(&error))),
        )
            .into_response());
    }
    // A new id on every login, so an id planted before login (session fixation) is useless.
    session.regenerate().await?;
    session.insert(USER, name).await?;
    // Indexes the session under the user, for the sessions page and "log out everywhere".
    session.set_user(Some(name)).await?;
    session.remove(VISITS).await?;
    Ok(Redirect::to("/me").into_response())
}

pub(crate) async fn me(session: Session) -> Result<Html<String>, SessionError> {
    let Some(user) = session.get::<String>(USER).await? else {
        return Ok(Html(pages::logged_out()));
    };
    let visits = session.get::<u64>(VISITS).await?.unwrap_or(0) + 1;
    session.insert(VISITS, visits).await?;
    let remembered = session.get::<bool>(REMEMBERED).await?.unwrap_or(false);
    let expires_at = format_time(session.expires_at().await?);
    Ok(Html(pages::me(&pages::Me {
        user: &user,
        visits,
        expires_at: &expires_at,
        remembered,
    })))
}

pub(crate) async fn logout(session: Session) -> Redirect {
    session.destroy();
    Redirect::to("/")
}

pub(crate) async fn remember(session: Session) -> Result<Redirect, SessionError> {
    if session.get::<String>(USER).await?.is_none() {
        return Ok(Redirect::to("/"));
    }
    session.set_max_age(Some(REMEMBER_FOR)).await?;
    session.insert(REMEMBERED, true).await?;
    Ok(Redirect::to("/me"))
}

pub(crate) async fn sessions(
    session: Session,
    Extension(manager): Extension<SessionManager>,
) -> Result<Html<String>, SessionError> {
    let Some(user) = session.user().await? else {
        return Ok(Html(pages::logged_out()));
    };
    let current = session.id().await?;
    let rows: Vec<pages::SessionRow> = manager
        .user_sessions(&user, session_core::Clock::now(&session_core::SystemClock))
        .await?
        .into_iter()
        .map(|s| pages::SessionRow {
            short_id: s.id.as_str().chars().take(8).collect(),
            created: format_time(s.created_at),
            last_seen: format_time(s.last_seen),
            expires: format_time(s.expires_at),
            current: current.as_ref() == Some(&s.id),
        })
        .collect();
    Ok(Html(pages::sessions(&user, &rows)))
}

#[derive(Deserialize)]
pub(crate) struct RevokeForm {
    /// The shortened id shown on the sessions page.
    id: String,
}

/// "Log out that session": one row of the user's own list. The id comes from the request, so
/// the session is ended only if it is this user's ([`SessionManager::revoke_owned`]).
pub(crate) async fn revoke_one(
    session: Session,
    Extension(manager): Extension<SessionManager>,
    Form(form): Form<RevokeForm>,
) -> Result<Redirect, SessionError> {
    let Some(user) = session.user().await? else {
        return Ok(Redirect::to("/"));
    };
    let now = session_core::Clock::now(&session_core::SystemClock);
    let listed = manager.user_sessions(&user, now).await?;
    let mut matching = listed
        .iter()
        .filter(|s| !form.id.is_empty() && s.id.as_str().starts_with(&form.id));
    if let (Some(one), None) = (matching.next(), matching.next()) {
        manager.revoke_owned(&user, &one.id, now).await?;
    }
    Ok(Redirect::to("/sessions"))
}

/// "Log out everywhere else": every session of the user but this one.
pub(crate) async fn revoke_others(
    session: Session,
    Extension(manager): Extension<SessionManager>,
) -> Result<Redirect, SessionError> {
    if let (Some(user), Some(id)) = (session.user().await?, session.id().await?) {
        manager.revoke_user(&user, Some(&id)).await?;
    }
    Ok(Redirect::to("/sessions"))
}

/// "Log out everywhere": every session of the user, this one included.
pub(crate) async fn revoke_all(
    session: Session,
    Extension(manager): Extension<SessionManager>,
) -> Result<Redirect, SessionError> {
    if let Some(user) = session.user().await? {
        manager.revoke_user(&user, None).await?;
    }
    session.destroy();
    Ok(Redirect::to("/"))
}

fn format_time(at: time::OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| at.to_string())
}
