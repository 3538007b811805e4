//! The request handlers.

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::{Deserialize, Serialize};
use session_axum::{Session, SessionError, Typed};
use session_core::{FlashLevel, SessionManager, SessionValue};

use crate::accounts::{AccountError, Accounts};
use crate::pages;

/// How long "remember me" keeps the session.
pub const REMEMBER_FOR: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Longest accepted user name, in characters.
const MAX_NAME_CHARS: usize = 64;

/// What the session keeps about the visitor's use of `/me`, stored whole under `"visit"`.
///
/// ```
/// use session_core::SessionValue;
/// assert_eq!(session_demo::Visit::KEY, "visit");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// Views of `/me` since the last login.
    pub visits: u64,
    /// Whether "remember me" was pressed.
    pub remembered: bool,
}

impl SessionValue for Visit {
    const KEY: &'static str = "visit";
}

/// A handler's failure: the session's (with its own status), or the password check's (500).
pub(crate) enum Failure {
    Session(SessionError),
    Accounts(AccountError),
}

impl From<SessionError> for Failure {
    fn from(e: SessionError) -> Self {
        Self::Session(e)
    }
}

impl From<session_core::SessionError> for Failure {
    fn from(e: session_core::SessionError) -> Self {
        Self::Session(e.into())
    }
}

impl From<AccountError> for Failure {
    fn from(e: AccountError) -> Self {
        Self::Accounts(e)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Self::Session(e) => e.into_response(),
            Self::Accounts(e) => {
                tracing::error!(error = %e, "account error in handler");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the password could not be checked; try again",
                )
                    .into_response()
            }
        }
    }
}

pub(crate) async fn home(session: Session) -> Result<Html<String>, SessionError> {
    Ok(Html(login_page(&session, "", None).await?))
}

/// The login page for this session, the form filled with `name`.
async fn login_page(
    session: &Session,
    name: &str,
    error: Option<&str>,
) -> Result<String, SessionError> {
    let user = session.user().await?;
    let flashes = session.take_flashes().await?;
    let csrf_token = session.csrf_token().await?;
    Ok(pages::login(&pages::LoginPage {
        current_user: user.as_deref(),
        name,
        error,
        csrf_token: &csrf_token,
        flashes: &flashes,
    }))
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    name: String,
    #[serde(default)]
    password: String,
}

pub(crate) async fn login(
    session: Session,
    Extension(accounts): Extension<Accounts>,
    Form(form): Form<LoginForm>,
) -> Result<Response, Failure> {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        let error = format!("Please type a name of 1 to {MAX_NAME_CHARS} characters.");
        return refused(&session, StatusCode::BAD_REQUEST, name, &error).await;
    }
    let login = match accounts.log_in(name, &form.password).await {
        Ok(login) => login,
        Err(AccountError::WrongPassword) => {
            let error = format!("Wrong password for {name}.");
            return refused(&session, StatusCode::UNAUTHORIZED, name, &error).await;
        }
        Err(e @ AccountError::WeakPassword) => {
            let error = format!("Cannot register {name}: {e}.");
            return refused(&session, StatusCode::BAD_REQUEST, name, &error).await;
        }
        Err(e) => return Err(e.into()),
    };
    // A new session id (so an id planted before login is useless) and a new CSRF secret; the
    // session is bound to the user (for the sessions page and "log out everywhere") and to
    // the password hash (a password change ends it).
    session.login(name, login.phc.as_bytes()).await?;
    // The counter starts again; "remember me" stays with the session.
    let remembered = session.typed_or_default::<Visit>().await?.remembered;
    session
        .set_typed(&Visit {
            visits: 0,
            remembered,
        })
        .await?;
    let welcome = if login.registered {
        format!("Welcome, {name}; your account is created")
    } else {
        format!("Welcome, {name}")
    };
    session.flash(FlashLevel::Success, welcome).await?;
    Ok(Redirect::to("/me").into_response())
}

/// The login form again, with `error`; the session is left as it was.
async fn refused(
    session: &Session,
    status: StatusCode,
    name: &str,
    error: &str,
) -> Result<Response, Failure> {
    let page = login_page(session, name, Some(error)).await?;
    Ok((status, Html(page)).into_response())
}

pub(crate) async fn me(
    session: Session,
    Typed(visit): Typed<Visit>,
) -> Result<Html<String>, SessionError> {
    let Some(user) = session.user().await? else {
        return Ok(Html(pages::logged_out(&session.take_flashes().await?)));
    };
    let visit = Visit {
        visits: visit.visits.saturating_add(1),
        ..visit
    };
    session.set_typed(&visit).await?;
    Ok(Html(me_page(&session, &user, visit, None).await?))
}

/// `/me` for `user`, showing `visit` as it is.
async fn me_page(
    session: &Session,
    user: &str,
    visit: Visit,
    error: Option<&str>,
) -> Result<String, SessionError> {
    let flashes = session.take_flashes().await?;
    let csrf_token = session.csrf_token().await?;
    let expires_at = format_time(session.expires_at().await?);
    Ok(pages::me(&pages::Me {
        user,
        visits: visit.visits,
        expires_at: &expires_at,
        remembered: visit.remembered,
        error,
        csrf_token: &csrf_token,
        flashes: &flashes,
    }))
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    password: String,
}

/// A new password: the account's hash changes, which ends every session logged in with the
/// old one at its next request; this session logs in again with the new hash and stays.
pub(crate) async fn change_password(
    session: Session,
    Extension(accounts): Extension<Accounts>,
    Typed(visit): Typed<Visit>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, Failure> {
    let Some(user) = session.user().await? else {
        return Ok(Redirect::to("/").into_response());
    };
    let phc = match accounts.change_password(&user, &form.password).await {
        Ok(phc) => phc,
        Err(e @ AccountError::WeakPassword) => {
            let error = format!("The password is unchanged: {e}.");
            let page = me_page(&session, &user, visit, Some(&error)).await?;
            return Ok((StatusCode::BAD_REQUEST, Html(page)).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    session.login(&user, phc.as_bytes()).await?;
    session
        .flash(
            FlashLevel::Success,
            "Password changed; your other sessions are logged out",
        )
        .await?;
    Ok(Redirect::to("/me").into_response())
}

/// Logs out: the session's data and record are dropped, and the message goes into a new
/// session, a browser-session one even if this one was remembered.
pub(crate) async fn logout(session: Session) -> Result<Redirect, SessionError> {
    session.logout().await?;
    session.set_max_age(None).await?;
    session
        .flash(FlashLevel::Info, "You are logged out")
        .await?;
    Ok(Redirect::to("/"))
}

pub(crate) async fn remember(
    session: Session,
    Typed(visit): Typed<Visit>,
) -> Result<Redirect, SessionError> {
    if session.user().await?.is_none() {
        return Ok(Redirect::to("/"));
    }
    session.set_max_age(Some(REMEMBER_FOR)).await?;
    session
        .set_typed(&Visit {
            remembered: true,
            ..visit
        })
        .await?;
    Ok(Redirect::to("/me"))
}

pub(crate) async fn sessions(
    session: Session,
    Extension(manager): Extension<SessionManager>,
) -> Result<Html<String>, SessionError> {
    let flashes = session.take_flashes().await?;
    let Some(user) = session.user().await? else {
        return Ok(Html(pages::logged_out(&flashes)));
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
    let csrf_token = session.csrf_token().await?;
    Ok(Html(pages::sessions(&user, &rows, &csrf_token, &flashes)))
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
        session
            .flash(FlashLevel::Success, "Your other sessions are logged out")
            .await?;
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
    session.logout().await?;
    session.set_max_age(None).await?;
    session
        .flash(FlashLevel::Info, "You are logged out everywhere")
        .await?;
    Ok(Redirect::to("/"))
}

fn format_time(at: time::OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| at.to_string())
}
