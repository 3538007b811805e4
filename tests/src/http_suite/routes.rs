//! The fixed routes every adapter's test server serves, written once.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use session_core::{Session, SessionError, SessionValue};

/// What a route answers, before the adapter turns it into its framework's response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteReply {
    /// HTTP status.
    pub status: u16,
    /// `text/plain` body.
    pub body: String,
}

impl RouteReply {
    fn ok(body: impl Into<String>) -> Self {
        Self {
            status: 200,
            body: body.into(),
        }
    }
    fn status(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.to_owned(),
        }
    }
}

/// Runs the route for `method` and `path` against `session` (see the table in
/// [`crate::http_suite`]). A session error is returned for the adapter to answer with its
/// standard error response; an unknown route is a 404 that never touches the session.
///
/// ```
/// # use session_core::{Config, HttpRequest, SessionManager};
/// # use session_stores::MemoryStore;
/// # futures_util::FutureExt::now_or_never(async {
/// # let config = Config::builder().secret("0123456789abcdef0123456789abcdef").build().unwrap();
/// # let manager = SessionManager::new(config, MemoryStore::new());
/// # let headers = reqwest::header::HeaderMap::new();
/// # let now = time::macros::datetime!(2030-01-01 0:00 UTC);
/// # let session = manager.begin(&HttpRequest { headers: &headers, peer: None, tls: false }, now);
/// use session_tests::http_suite::respond;
/// let reply = respond(&session, "POST", "/set/user", b"\"ann\"").await.unwrap();
/// assert_eq!(reply.status, 200);
/// let reply = respond(&session, "GET", "/get/user", b"").await.unwrap();
/// assert_eq!(reply.body, "\"ann\"");
/// # }).unwrap();
/// ```
pub async fn respond(
    session: &Session,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<RouteReply, SessionError> {
    let mut segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    // `/guarded/...`: the same routes, behind the adapter's CSRF guard.
    if segments.len() > 1 && segments[0] == "guarded" {
        segments.remove(0);
    }
    let reply = match (method, segments.as_slice()) {
        ("GET", ["get", key]) => {
            let value: Option<Value> = session.get(key).await?;
            RouteReply::ok(value.unwrap_or(Value::Null).to_string())
        }
        ("POST", ["set", key]) => match serde_json::from_slice::<Value>(body) {
            Ok(value) => {
                session.insert(key, value).await?;
                RouteReply::ok("ok")
            }
            Err(_) => RouteReply::status(400, "body is not JSON"),
        },
        ("POST", ["remove", key]) => {
            let old = session.remove(key).await?;
            RouteReply::ok(old.unwrap_or(Value::Null).to_string())
        }
        ("POST", ["clear"]) => {
            session.clear().await?;
            RouteReply::ok("ok")
        }
        ("POST", ["regenerate"]) => {
            session.regenerate().await?;
            RouteReply::ok("ok")
        }
        ("POST", ["destroy"]) => {
            session.destroy();
            RouteReply::ok("ok")
        }
        ("POST", ["max-age", secs]) => {
            let max_age = match *secs {
                "none" => None,
                secs => match secs.parse() {
                    Ok(secs) => Some(Duration::from_secs(secs)),
                    Err(_) => return Ok(RouteReply::status(400, "bad max-age")),
                },
            };
            session.set_max_age(max_age).await?;
            RouteReply::ok("ok")
        }
        ("POST", ["incr", key]) => {
            // Read and write in one request: the lost-update case the merge must refuse.
            let n = session.get::<u64>(key).await?.unwrap_or(0) + 1;
            session.insert(key, n).await?;
            RouteReply::ok(n.to_string())
        }
        ("GET", ["untouched"]) => RouteReply::ok("untouched"),
        ("GET", ["id"]) => match session.id().await? {
            Some(id) => RouteReply::ok(id.as_str()),
            None => RouteReply::ok("null"),
        },
        ("GET", ["csrf"]) => RouteReply::ok(session.csrf_token().await?),
        ("POST", ["login"]) => {
            session.login("u", b"h").await?;
            RouteReply::ok("ok")
        }
        ("POST", ["guarded-form"]) => {
            let note = form_urlencoded::parse(body).find(|(name, _)| name == "note");
            form_reply(note.map(|(_, value)| value).as_deref())
        }
        ("GET", ["fail"]) => {
            session.insert("failed", true).await?;
            RouteReply::status(500, "handler failed")
        }
        _ => RouteReply::status(404, "no such route"),
    };
    Ok(reply)
}

/// The answer of `POST /guarded-form`: the form's `note` field as JSON (`null` without one).
/// For a harness whose framework parses the form itself.
pub fn form_reply(note: Option<&str>) -> RouteReply {
    RouteReply::ok(Value::from(note).to_string())
}

/// The session value `GET /typed` reads through the adapter's typed extractor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefs {
    /// A colour theme.
    pub theme: String,
}

impl SessionValue for Prefs {
    const KEY: &'static str = "prefs";
}

/// The answer of `GET /typed`: the [`Prefs`] the extractor gave, as JSON.
pub fn typed_reply(prefs: &Prefs) -> RouteReply {
    RouteReply::ok(serde_json::json!({ "theme": prefs.theme }).to_string())
}
