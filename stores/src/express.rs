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
    secure: bool,
    http_only: bool,
    path: String,
    domain: Option<String>,
    same_site: Option<&'static str>,
}

impl ExpressCodec {
    /// A codec describing cookies the way `config` sets them.
    pub fn new(config: &Config) -> Self {
        Self {
            max_age: config.max_age(),
            secure: config.secure() == Secure::Always,
            http_only: config.http_only(),
            path: config.path().to_owned(),
            domain: config.domain().map(str::to_owned),
            same_site: config.same_site().map(|s| match s {
                SameSite::Strict => "strict",
                SameSite::Lax => "lax",
                SameSite::None => "none",
            }),
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
        let max_age = state.max_age.or(self.max_age);
        let mut cookie = Map::new();
        cookie.insert("originalMaxAge".into(), max_age.map(duration_millis).into());
        let expires = max_age.map(|_| iso(expires_at.to_offset(time::UtcOffset::UTC)));
        cookie.insert("expires".into(), expires.into());
        cookie.insert("secure".into(), self.secure.into());
        cookie.insert("httpOnly".into(), self.http_only.into());
        if let Some(domain) = &self.domain {
            cookie.insert("domain".into(), domain.clone().into());
        }
        cookie.insert("path".into(), self.path.clone().into());
        if let Some(same_site) = self.same_site {
            cookie.insert("sameSite".into(), same_site.into());
        }
        let mut record = Map::new();
        record.insert("cookie".into(), cookie.into());
        for (key, value) in &state.data {
            if key == "cookie" || key == OURS {
                return Err(CodecError::new(format!(
                    "session key {key:?} is reserved by express-session's record format; rename it"
                )));
            }
            record.insert(key.clone(), value.clone());
        }
        let mut ours = Map::new();
        ours.insert("c".into(), unix_millis(state.created_at).into());
        if let Some(max_age) = state.max_age {
            ours.insert("m".into(), duration_millis(max_age).into());
        }
        record.insert(OURS.into(), ours.into());
        serde_json::to_vec(&record).map_err(CodecError::new)
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
