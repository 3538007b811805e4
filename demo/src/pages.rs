//! The site's HTML, rendered on the server. Every user-supplied string is escaped by
//! `html-escape`: [`encode_text`] in element content, [`encode_double_quoted_attribute`] in
//! attribute values (all of them double-quoted). Every form that changes something carries
//! the session's CSRF token in a hidden `csrf_token` field.

use std::fmt::Write;

use html_escape::{encode_double_quoted_attribute, encode_text};
use session_core::Flash;

use crate::accounts::MIN_PASSWORD_CHARS;

/// A whole page around `body` (already safe HTML), with the waiting flash messages on top:
/// the first in an element with `id="flash"`, the next ones `flash-2`, `flash-3`, ...; each
/// with its level as class (`success`, `info`, `error`, ...).
fn layout(title: &str, flashes: &[Flash], body: &str) -> String {
    let mut messages = String::new();
    for (n, flash) in flashes.iter().enumerate() {
        let id = match n {
            0 => "flash".to_owned(),
            n => format!("flash-{}", n + 1),
        };
        let _ = write!(
            messages,
            "<p id=\"{id}\" class=\"{}\" role=\"status\">{}</p>",
            flash.level.as_str(),
            encode_text(&flash.text)
        );
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{title} - session demo</title>\
         <style>body{{font-family:sans-serif;max-width:40em;margin:2em auto}}\
         form{{display:inline-block;margin-right:1em}}\
         .success{{color:#175e17}}.info{{color:#1a4b80}}.warning{{color:#7a5300}}\
         .error{{color:#9b1c1c}}</style></head>\
         <body><nav><a href=\"/\">Home</a> | <a href=\"/me\">Me</a> | \
         <a href=\"/sessions\">Sessions</a></nav>{messages}<h1>{title}</h1>\n{body}\n\
         </body></html>\n"
    )
}

/// The hidden form field carrying the CSRF token.
fn csrf_field(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf_token\" value=\"{}\">",
        encode_double_quoted_attribute(token)
    )
}

/// The login page.
#[derive(Debug, Clone, Copy)]
pub struct LoginPage<'a> {
    /// Who is logged in in this session, if anyone.
    pub current_user: Option<&'a str>,
    /// The name to fill the form with (after a failed attempt).
    pub name: &'a str,
    /// Why the last attempt failed.
    pub error: Option<&'a str>,
    /// The session's CSRF token, for the form.
    pub csrf_token: &'a str,
    /// Flash messages waiting for this page.
    pub flashes: &'a [Flash],
}

/// The login form, with an optional error message and a note when someone is logged in.
///
/// ```
/// use session_demo::pages::{login, LoginPage};
/// let html = login(&LoginPage {
///     current_user: Some("<ann>"),
///     name: "",
///     error: Some("Wrong password"),
///     csrf_token: "t\"k",
///     flashes: &[],
/// });
/// assert!(html.contains("&lt;ann&gt;"));
/// assert!(html.contains("action=\"/login\""));
/// assert!(html.contains("name=\"csrf_token\" value=\"t&quot;k\""));
/// assert!(html.contains("<p id=\"error\" role=\"alert\">Wrong password</p>"));
/// ```
pub fn login(page: &LoginPage<'_>) -> String {
    let mut body = String::new();
    if let Some(user) = page.current_user {
        let _ = write!(
            body,
            "<p>You are logged in as <strong id=\"user\">{}</strong>. \
             <a href=\"/me\">Your page</a></p>",
            encode_text(user)
        );
    }
    if let Some(error) = page.error {
        let _ = write!(
            body,
            "<p id=\"error\" role=\"alert\">{}</p>",
            encode_text(error)
        );
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/login\">{csrf}\
         <label>Name <input id=\"name\" name=\"name\" value=\"{name}\" required \
         maxlength=\"64\" autocomplete=\"username\"></label> \
         <label>Password <input id=\"password\" name=\"password\" type=\"password\" required \
         autocomplete=\"current-password\"></label> \
         <button id=\"login\" type=\"submit\">Log in</button></form>\
         <p>The first login with a new name registers it with that password (at least \
         {MIN_PASSWORD_CHARS} characters); later logins need the same password. Accounts live \
         in the server's memory. Logging in gives you a new session id.</p>",
        csrf = csrf_field(page.csrf_token),
        name = encode_double_quoted_attribute(page.name),
    );
    layout("Log in", page.flashes, &body)
}

/// What `/me` shows for a logged-in user.
#[derive(Debug, Clone, Copy)]
pub struct Me<'a> {
    /// The user's name, as typed.
    pub user: &'a str,
    /// Views of `/me` in this session, this one included.
    pub visits: u64,
    /// When the session expires if left alone, already formatted.
    pub expires_at: &'a str,
    /// Whether "remember me" was pressed.
    pub remembered: bool,
    /// Why the last password change failed.
    pub error: Option<&'a str>,
    /// The session's CSRF token, for the forms.
    pub csrf_token: &'a str,
    /// Flash messages waiting for this page.
    pub flashes: &'a [Flash],
}

/// The logged-in user's page: remember me, change password, log out.
///
/// ```
/// use session_demo::pages::{me, Me};
/// let html = me(&Me { user: "<ann>", visits: 3, expires_at: "soon", remembered: false,
///     error: None, csrf_token: "tok", flashes: &[] });
/// assert!(html.contains("<span id=\"visits\">3</span>"));
/// assert!(html.contains("&lt;ann&gt;"));
/// assert_eq!(html.matches("name=\"csrf_token\" value=\"tok\"").count(), 3);
/// ```
pub fn me(page: &Me<'_>) -> String {
    let remembered = if page.remembered {
        "<p id=\"remembered\">This browser is remembered for 30 days.</p>"
    } else {
        "<p>This session ends when you close the browser or after 30 minutes idle.</p>"
    };
    let error = page.error.map_or_else(String::new, |error| {
        format!("<p id=\"error\" role=\"alert\">{}</p>", encode_text(error))
    });
    let csrf = csrf_field(page.csrf_token);
    let body = format!(
        "<p>Logged in as <strong id=\"user\">{user}</strong>.</p>\
         <p>You have viewed this page <span id=\"visits\">{visits}</span> time(s) \
         in this session.</p>\
         <p>The session expires at <time id=\"expires\">{expires}</time> unless used again.</p>\
         {remembered}\
         <form method=\"post\" action=\"/remember\">{csrf}\
         <button id=\"remember\">Remember me</button></form>\
         <form method=\"post\" action=\"/logout\">{csrf}\
         <button id=\"logout\">Log out</button></form>\
         <h2>Change password</h2>{error}\
         <form method=\"post\" action=\"/password\">{csrf}\
         <label>New password <input id=\"new-password\" name=\"password\" type=\"password\" \
         required minlength=\"{MIN_PASSWORD_CHARS}\" autocomplete=\"new-password\"></label> \
         <button id=\"change-password\">Change password</button></form>\
         <p>Changing the password logs out every other session of yours; this one stays.</p>",
        user = encode_text(page.user),
        visits = page.visits,
        expires = encode_text(page.expires_at),
    );
    layout("Me", page.flashes, &body)
}

/// `/me` or `/sessions` for someone not logged in.
///
/// ```
/// assert!(session_demo::pages::logged_out(&[]).contains("id=\"logged-out\""));
/// ```
pub fn logged_out(flashes: &[Flash]) -> String {
    layout(
        "Me",
        flashes,
        "<p id=\"logged-out\">You are not logged in.</p><p><a href=\"/\">Log in</a></p>",
    )
}

/// One row of the sessions page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The first characters of the session id: enough to tell sessions apart, useless as a
    /// credential.
    pub short_id: String,
    /// When the session was created, formatted.
    pub created: String,
    /// When it was last used (saved or touched), formatted.
    pub last_seen: String,
    /// When it expires unless used again, formatted.
    pub expires: String,
    /// Whether it is the session of this browser.
    pub current: bool,
}

/// The logged-in user's live sessions, with "log out everywhere else" and
/// "log out everywhere" buttons.
///
/// ```
/// use session_demo::pages::{sessions, SessionRow};
/// let row = SessionRow { short_id: "AbCd1234".into(), created: "c".into(), last_seen: "l".into(),
///     expires: "e".into(), current: true };
/// let html = sessions("<ann>", &[row], "tok", &[]);
/// assert!(html.contains("&lt;ann&gt;"));
/// assert!(html.contains("<td class=\"id\">AbCd1234 (this browser)</td>"));
/// assert!(html.contains("action=\"/sessions/revoke-others\""));
/// assert!(html.contains("name=\"id\" value=\"AbCd1234\""));
/// assert_eq!(html.matches("name=\"csrf_token\" value=\"tok\"").count(), 3);
/// ```
pub fn sessions(user: &str, rows: &[SessionRow], csrf_token: &str, flashes: &[Flash]) -> String {
    let csrf = csrf_field(csrf_token);
    let mut body = format!(
        "<p>Sessions of <strong id=\"user\">{}</strong>: <span id=\"count\">{}</span></p>\
         <table id=\"sessions\"><tr><th>Session</th><th>Created</th><th>Last seen</th>\
         <th>Expires</th><th></th></tr>",
        encode_text(user),
        rows.len()
    );
    for row in rows {
        let current = if row.current { " (this browser)" } else { "" };
        let _ = write!(
            body,
            "<tr><td class=\"id\">{}{current}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td><form method=\"post\" action=\"/sessions/revoke\">{csrf}\
             <input type=\"hidden\" name=\"id\" value=\"{}\">\
             <button class=\"revoke\">Log out</button></form></td></tr>",
            encode_text(&row.short_id),
            encode_text(&row.created),
            encode_text(&row.last_seen),
            encode_text(&row.expires),
            encode_double_quoted_attribute(&row.short_id),
        );
    }
    let _ = write!(
        body,
        "</table>\
         <form method=\"post\" action=\"/sessions/revoke-others\">{csrf}\
         <button id=\"revoke-others\">Log out everywhere else</button></form>\
         <form method=\"post\" action=\"/sessions/revoke-all\">{csrf}\
         <button id=\"revoke-all\">Log out everywhere</button></form>"
    );
    layout("Your sessions", flashes, &body)
}
