//! The site's HTML, rendered on the server. Every user-supplied string is escaped by
//! `html-escape`: [`encode_text`] in element content, [`encode_double_quoted_attribute`] in
//! attribute values (all of them double-quoted).

use std::fmt::Write;

use html_escape::{encode_double_quoted_attribute, encode_text};

/// A whole page around `body` (already safe HTML).
fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{title} - session demo</title>\
         <style>body{{font-family:sans-serif;max-width:40em;margin:2em auto}}\
         form{{display:inline-block;margin-right:1em}}</style></head>\
         <body><nav><a href=\"/\">Home</a> | <a href=\"/me\">Me</a> | \
         <a href=\"/sessions\">Sessions</a></nav><h1>{title}</h1>\n{body}\n</body></html>\n"
    )
}

/// The login form, with an optional error message and a note when someone is logged in.
///
/// ```
/// let html = session_demo::pages::login(Some("<ann>"), None);
/// assert!(html.contains("&lt;ann&gt;"));
/// assert!(html.contains("action=\"/login\""));
/// ```
pub fn login(current_user: Option<&str>, error: Option<&str>) -> String {
    let mut body = String::new();
    if let Some(user) = current_user {
        let _ = write!(
            body,
            "<p>You are logged in as <strong id=\"user\">{}</strong>. \
             <a href=\"/me\">Your page</a></p>",
            encode_text(user)
        );
    }
    if let Some(error) = error {
        let _ = write!(
            body,
            "<p id=\"error\" role=\"alert\">{}</p>",
            encode_text(error)
        );
    }
    body.push_str(
        "<form method=\"post\" action=\"/login\">\
         <label>Name <input id=\"name\" name=\"name\" required maxlength=\"64\"></label> \
         <button id=\"login\" type=\"submit\">Log in</button></form>\
         <p>Any name works; there is no password. Logging in gives you a new session id.</p>",
    );
    layout("Log in", &body)
}

/// What `/me` shows for a logged-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Me<'a> {
    /// The user's name, as typed.
    pub user: &'a str,
    /// Views of `/me` in this session, this one included.
    pub visits: u64,
    /// When the session expires if left alone, already formatted.
    pub expires_at: &'a str,
    /// Whether "remember me" was pressed.
    pub remembered: bool,
}

/// The logged-in user's page.
///
/// ```
/// use session_demo::pages::{me, Me};
/// let html = me(&Me { user: "<ann>", visits: 3, expires_at: "soon", remembered: false });
/// assert!(html.contains("<span id=\"visits\">3</span>"));
/// assert!(html.contains("&lt;ann&gt;"));
/// ```
pub fn me(page: &Me<'_>) -> String {
    let remembered = if page.remembered {
        "<p id=\"remembered\">This browser is remembered for 30 days.</p>"
    } else {
        "<p>This session ends when you close the browser or after 30 minutes idle.</p>"
    };
    let body = format!(
        "<p>Logged in as <strong id=\"user\">{user}</strong>.</p>\
         <p>You have viewed this page <span id=\"visits\">{visits}</span> time(s) \
         in this session.</p>\
         <p>The session expires at <time id=\"expires\">{expires}</time> unless used again.</p>\
         {remembered}\
         <form method=\"post\" action=\"/remember\"><button id=\"remember\">Remember me</button></form>\
         <form method=\"post\" action=\"/logout\"><button id=\"logout\">Log out</button></form>",
        user = encode_text(page.user),
        visits = page.visits,
        expires = encode_text(page.expires_at),
    );
    layout("Me", &body)
}

/// `/me` for someone not logged in.
///
/// ```
/// assert!(session_demo::pages::logged_out().contains("id=\"logged-out\""));
/// ```
pub fn logged_out() -> String {
    layout(
        "Me",
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
/// let html = sessions("<ann>", &[row]);
/// assert!(html.contains("&lt;ann&gt;"));
/// assert!(html.contains("<td class=\"id\">AbCd1234 (this browser)</td>"));
/// assert!(html.contains("action=\"/sessions/revoke-others\""));
/// assert!(html.contains("name=\"id\" value=\"AbCd1234\""));
/// ```
pub fn sessions(user: &str, rows: &[SessionRow]) -> String {
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
             <td><form method=\"post\" action=\"/sessions/revoke\">\
             <input type=\"hidden\" name=\"id\" value=\"{}\">\
             <button class=\"revoke\">Log out</button></form></td></tr>",
            encode_text(&row.short_id),
            encode_text(&row.created),
            encode_text(&row.last_seen),
            encode_text(&row.expires),
            encode_double_quoted_attribute(&row.short_id),
        );
    }
    body.push_str(
        "</table>\
         <form method=\"post\" action=\"/sessions/revoke-others\">\
         <button id=\"revoke-others\">Log out everywhere else</button></form>\
         <form method=\"post\" action=\"/sessions/revoke-all\">\
         <button id=\"revoke-all\">Log out everywhere</button></form>",
    );
    layout("Your sessions", &body)
}
