//! express-session's record format, as connect-redis stores it: the user's fields beside a
//! `cookie` object, so that a Rust service and a Node service can share sessions.

use std::time::Duration;

use serde_json::{Map, Value};
use session_core::{
    duration_millis, from_unix_millis, unix_millis, Codec, CodecError, Config, SameSite, Secure,
    SessionState,
};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The key under which the Rust side keeps what express-session has no field for.
const OURS: &str = "_rs";

/// A [`Codec`] writing express-session's JSON:
///
/// ```json
/// {"cookie":{"originalMaxAge":3600000,"expires":"2030-01-01T01:00:00.000Z","secure":false,
///            "httpOnly":true,"path":"/","sameSite":"lax"},
///  "user":"ann","visits":3,"_rs":{"c":1893456000000}}
/// ```
///
/// express-session loads such a record (it keeps unknown fields such as `_rs` when it saves
/// the session back), and this codec loads what express-session writes. The Rust side keeps
/// the creation time (for the absolute timeout) and a per-session max-age in `_rs`; for a
/// record express created, the creation time is taken as `expires - originalMaxAge` (its last
/// touch, in whole milliseconds), or the Unix epoch when the cookie has no expiry, so do not
/// combine an absolute timeout with sessions that Node creates without a max-age; a record
/// whose difference is no instant (years past 9999, say) does not decode. Session keys named
/// `cookie` or `_rs` are refused.
///
/// ```
/// use session_core::{Codec, Config, SessionState};
/// use session_stores::ExpressCodec;
/// use time::macros::datetime;
/// let config = Config::builder().secret("0123456789abcdef0123456789abcdef")
///     .max_age(Some(std::time::Duration::from_secs(3600))).build().unwrap();
/// let codec = ExpressCodec::new(&config);
/// let mut data = serde_json::Map::new();
/// data.insert("user".into(), "ann".into());
/// let state = SessionState { data, created_at: datetime!(2030-01-01 0:00 UTC), max_age: None };
/// let json = codec.encode(&state, datetime!(2030-01-01 1:00 UTC)).unwrap();
/// let text = String::from_utf8(json.clone()).unwrap();
/// assert!(text.contains(r#""expires":"2030-01-01T01:00:00.000Z""#));
/// assert_eq!(codec.decode(&json).unwrap(), state);
/// ```
#[derive(Debug, Clone)]
pub struct ExpressCodec {
    max_age: Option<Duration>,
    /// `secure`, when the record carries it.
    secure: Option<bool>,
    http_only: bool,
    path: String,
    domain: Option<String>,
    same_site: Option<&'static str>,
    /// `partitioned`, when the record carries it.
    partitioned: Option<bool>,
    /// Whether `_rs` is written even when it would hold only the creation time: when an
    /// absolute timeout needs it, or outside [`Config::express`], where it always is.
    creation_time: bool,
}

impl ExpressCodec {
    /// A codec describing cookies the way `config` sets them. With a configuration made by
    /// [`Config::express`], the record holds exactly the cookie fields express-session
    /// writes for those options, in its order, and `_rs` only when it holds something
    /// express cannot (a creation time for an absolute timeout, a session's own max-age).
    pub fn new(config: &Config) -> Self {
        let same_site = |s: SameSite| match s {
            SameSite::Strict => "strict",
            SameSite::Lax => "lax",
            SameSite::None => "none",
        };
        match config.express_cookie() {
            Some(express) => Self {
                max_age: config.max_age(),
                // 'auto' is settled per request by express; the record then carries none.
                secure: express.secure.and_then(|s| match s {
                    Secure::Always => Some(true),
                    Secure::Never => Some(false),
                    Secure::Auto => None,
                }),
                http_only: express.http_only,
                path: express.path.clone(),
                domain: express.domain.clone(),
                same_site: express.same_site.map(same_site),
                partitioned: express.partitioned,
                creation_time: config.absolute_timeout().is_some(),
            },
            None => Self {
                max_age: config.max_age(),
                secure: Some(config.secure() == Secure::Always),
                http_only: config.http_only(),
                path: config.path().to_owned(),
                domain: config.domain().map(str::to_owned),
                same_site: config.same_site().map(same_site),
                partitioned: None,
                creation_time: true,
            },
        }
    }

    /// express's `cookie` object, its fields in express's order (`Cookie.prototype.data`).
    fn write_cookie(
        &self,
        max_age: Option<Duration>,
        expires_at: OffsetDateTime,
        out: &mut Vec<u8>,
    ) {
        let mut fields: Vec<(&str, String)> = Vec::with_capacity(8);
        let mut field = |name, value: &str| fields.push((name, value.to_owned()));
        let json = |text: &str| Value::from(text).to_string();
        let max_age_ms = max_age.map_or("null".to_owned(), |m| duration_millis(m).to_string());
        field("originalMaxAge", &max_age_ms);
        if let Some(partitioned) = self.partitioned {
            field("partitioned", if partitioned { "true" } else { "false" });
        }
        let expires = max_age.map(|_| iso(expires_at.to_offset(time::UtcOffset::UTC)));
        field("expires", &expires.map_or("null".to_owned(), |e| json(&e)));
        if let Some(secure) = self.secure {
            field("secure", if secure { "true" } else { "false" });
        }
        field("httpOnly", if self.http_only { "true" } else { "false" });
        if let Some(domain) = &self.domain {
            field("domain", &json(domain));
        }
        field("path", &json(&self.path));
        if let Some(same_site) = self.same_site {
            field("sameSite", &json(same_site));
        }
        for (i, (name, value)) in fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":");
            out.extend_from_slice(value.as_bytes());
        }
    }
}

/// JavaScript's `Date.prototype.toISOString`: `2030-01-01T00:00:00.000Z`.
fn iso(at: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

impl Codec for ExpressCodec {
    fn encode(
        &self,
        state: &SessionState,
        expires_at: OffsetDateTime,
    ) -> Result<Vec<u8>, CodecError> {
        let max_age = match state.max_age {
            // A browser-session cookie chosen for this session.
            Some(Duration::ZERO) => None,
            Some(own) => Some(own),
            None => self.max_age,
        };
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(b"{\"cookie\":{");
        self.write_cookie(max_age, expires_at, &mut out);
        out.push(b'}');
        for (key, value) in &state.data {
            if key == "cookie" || key == OURS {
                return Err(CodecError::new(format!(
                    "session key {key:?} is reserved by express-session's record format; rename it"
                )));
            }
            out.push(b',');
            serde_json::to_writer(&mut out, key).map_err(CodecError::new)?;
            out.push(b':');
            serde_json::to_writer(&mut out, value).map_err(CodecError::new)?;
        }
        if self.creation_time || state.max_age.is_some() {
            let mut ours = Map::new();
            ours.insert("c".into(), unix_millis(state.created_at).into());
            if let Some(max_age) = state.max_age {
                ours.insert("m".into(), duration_millis(max_age).into());
            }
            out.extend_from_slice(b",\"_rs\":");
            serde_json::to_writer(&mut out, &ours).map_err(CodecError::new)?;
        }
        out.push(b'}');
        Ok(out)
    }

    fn decode(&self, payload: &[u8]) -> Result<SessionState, CodecError> {
        let mut data: Map<String, Value> =
            serde_json::from_slice(payload).map_err(CodecError::new)?;
        let cookie = data.remove("cookie");
        let ours = data.remove(OURS);
        let ours = ours.as_ref().and_then(Value::as_object);
        let created_ms = ours.and_then(|o| o.get("c")).and_then(Value::as_i64);
        let max_age = ours
            .and_then(|o| o.get("m"))
            .and_then(Value::as_u64)
            .map(Duration::from_millis);
        let created_at = match created_ms {
            Some(ms) => from_unix_millis(ms),
            // Whole milliseconds, the precision the `_rs` field keeps once written back.
            None => last_touch(cookie.as_ref())?
                .map(|at| from_unix_millis(unix_millis(at)))
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        };
        Ok(SessionState {
            data,
            created_at,
            max_age,
        })
    }
}

/// `expires - originalMaxAge` of an express cookie object: when express last touched it.
/// `None` when the cookie has no expiry or no max-age; an error when the difference is not
/// a representable instant (the record was not written by express-session).
fn last_touch(cookie: Option<&Value>) -> Result<Option<OffsetDateTime>, CodecError> {
    let Some(cookie) = cookie.and_then(Value::as_object) else {
        return Ok(None);
    };
    let expires = cookie.get("expires").and_then(Value::as_str);
    let Some(Ok(expires)) = expires.map(|e| OffsetDateTime::parse(e, &Rfc3339)) else {
        return Ok(None);
    };
    let Some(max_age) = cookie.get("originalMaxAge").and_then(whole_millis) else {
        return Ok(None);
    };
    expires
        .checked_sub(time::Duration::milliseconds(max_age))
        .map(Some)
        .ok_or_else(|| CodecError::new("the cookie's expires minus originalMaxAge is out of range"))
}

/// A JavaScript number of milliseconds as a whole number: integers as they are, finite
/// fractions truncated; `None` for what no `i64` holds.
fn whole_millis(value: &Value) -> Option<i64> {
    if let Some(ms) = value.as_i64() {
        return Some(ms);
    }
    // 2^63 as an f64: every finite value strictly inside ±2^63 truncates into an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    let ms = value.as_f64()?.trunc();
    (ms.is_finite() && ms > -LIMIT && ms < LIMIT).then_some(ms as i64)
}
