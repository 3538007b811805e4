//! What stores keep, and the codecs that turn a session into bytes.

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// One stored session: encoded bytes plus what a store must index on.
///
/// Stores never look inside `payload`. `version` grows by one with every save and is what
/// compare-and-set saves compare.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Record {
    /// The session, as encoded by a [`Codec`].
    pub payload: Vec<u8>,
    /// When the record stops loading.
    pub expires_at: OffsetDateTime,
    /// Starts at 1 on create; each save stores `expected + 1`.
    pub version: u64,
    /// The user this session is bound to (see `Session::set_user`), which stores index so
    /// that a user's sessions can be listed and revoked; `None` for an anonymous session.
    pub user: Option<String>,
}

impl Record {
    /// A record as a store returns it.
    ///
    /// ```
    /// use session_core::Record;
    /// use time::OffsetDateTime;
    /// let r = Record::new(b"{}".to_vec(), OffsetDateTime::UNIX_EPOCH, 1);
    /// assert_eq!(r.version, 1);
    /// ```
    pub fn new(payload: Vec<u8>, expires_at: OffsetDateTime, version: u64) -> Self {
        Self {
            payload,
            expires_at,
            version,
            user: None,
        }
    }

    /// The same record bound to `user`.
    ///
    /// ```
    /// use session_core::Record;
    /// use time::OffsetDateTime;
    /// let r = Record::new(b"{}".to_vec(), OffsetDateTime::UNIX_EPOCH, 1).with_user(Some("ann".into()));
    /// assert_eq!(r.user.as_deref(), Some("ann"));
    /// ```
    #[must_use]
    pub fn with_user(mut self, user: Option<String>) -> Self {
        self.user = user;
        self
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("payload_bytes", &self.payload.len())
            .field("expires_at", &self.expires_at)
            .field("version", &self.version)
            .field("user", &self.user.is_some())
            .finish()
    }
}

/// The session as the core sees it: the user's data and the metadata the decisions need.
///
/// `Debug` shows the number of keys, never the data (it may hold anything a user entered),
/// so [`crate::Claims`] and [`crate::Opened`] print no session data either.
///
/// ```
/// # use session_core::SessionState;
/// let mut data = serde_json::Map::new();
/// data.insert("card".into(), "4111 1111 1111 1111".into());
/// let state = SessionState { data, created_at: time::OffsetDateTime::UNIX_EPOCH, max_age: None };
/// assert!(!format!("{state:?}").contains("4111"));
/// ```
#[derive(Clone, PartialEq)]
pub struct SessionState {
    /// The user's data, key by key.
    pub data: Map<String, Value>,
    /// When the session was created (for the absolute timeout).
    pub created_at: OffsetDateTime,
    /// A per-session cookie lifetime ("remember me"), replacing the configured one; zero means
    /// a browser-session cookie whatever the configuration says.
    pub max_age: Option<Duration>,
}

impl std::fmt::Debug for SessionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionState")
            .field("data", &format_args!("{} keys <redacted>", self.data.len()))
            .field("created_at", &self.created_at)
            .field("max_age", &self.max_age)
            .finish()
    }
}

/// A record's payload could not be encoded or decoded.
#[derive(Debug)]
pub struct CodecError(pub(crate) Box<dyn std::error::Error + Send + Sync>);

impl CodecError {
    /// Wraps the underlying serialisation error.
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(source.into())
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "session payload could not be encoded or decoded: {}",
            self.0
        )
    }
}

impl std::error::Error for CodecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// Turns a [`SessionState`] into a record's bytes and back; one codec serves every store.
pub trait Codec: Send + Sync + 'static {
    /// Encodes a session whose record will expire at `expires_at`.
    fn encode(
        &self,
        state: &SessionState,
        expires_at: OffsetDateTime,
    ) -> Result<Vec<u8>, CodecError>;
    /// Decodes a payload. An error makes the session load as absent (a new session).
    fn decode(&self, payload: &[u8]) -> Result<SessionState, CodecError>;

    /// Decodes a payload for a request, which may read a key or two and change nothing: a
    /// codec that keeps the data as a JSON object may leave it undecoded and say where it is
    /// ([`LazyState::data_json`]); reads then deserialise only the keys they ask for. The
    /// default decodes everything with [`Codec::decode`].
    ///
    /// ```
    /// use session_core::{Codec, JsonCodec};
    /// let data = format!(r#"{{"n":1,"cart":"{}"}}"#, "x".repeat(300));
    /// let payload = format!(r#"{{"d":{data},"c":0}}"#);
    /// let lazy = JsonCodec.decode_lazily(payload.as_bytes()).unwrap();
    /// assert_eq!(&payload[lazy.data_json.unwrap()], data);
    /// assert!(lazy.state.data.is_empty());
    ///
    /// // A small session is decoded at once (see `JsonCodec`).
    /// let lazy = JsonCodec.decode_lazily(br#"{"d":{"n":1},"c":0}"#).unwrap();
    /// assert_eq!(lazy.state.data["n"], 1);
    /// ```
    fn decode_lazily(&self, payload: &[u8]) -> Result<LazyState, CodecError> {
        Ok(LazyState {
            state: self.decode(payload)?,
            data_json: None,
        })
    }
}

/// A session decoded by [`Codec::decode_lazily`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LazyState {
    /// The session; its `data` is empty when `data_json` is `Some`.
    pub state: SessionState,
    /// Where in the payload the data is, as a JSON object, when it was left undecoded. The
    /// session manager checks that it would decode into a map (nesting, numbers, escapes)
    /// before keeping it, building nothing but the value of the key a read loads it for;
    /// data that would not decode is a new session, as with an error from [`Codec::decode`].
    pub data_json: Option<Range<usize>>,
}

impl LazyState {
    /// A session with its data decoded.
    ///
    /// ```
    /// use session_core::{LazyState, SessionState};
    /// let state = SessionState { data: Default::default(), created_at: time::OffsetDateTime::UNIX_EPOCH, max_age: None };
    /// assert!(LazyState::decoded(state).data_json.is_none());
    /// ```
    pub fn decoded(state: SessionState) -> Self {
        Self {
            state,
            data_json: None,
        }
    }

    /// A session whose data is the JSON object at `data_json` in the payload.
    ///
    /// ```
    /// use session_core::{LazyState, SessionState};
    /// let state = SessionState { data: Default::default(), created_at: time::OffsetDateTime::UNIX_EPOCH, max_age: None };
    /// assert_eq!(LazyState::undecoded(state, 5..12).data_json, Some(5..12));
    /// ```
    pub fn undecoded(state: SessionState, data_json: Range<usize>) -> Self {
        Self {
            state,
            data_json: Some(data_json),
        }
    }
}

/// The default codec: compact JSON, `{"d":{..data..},"c":<created ms>,"m":<max-age ms>}`.
///
/// A record of 256 bytes or more loads lazily ([`Codec::decode_lazily`]): its data stays
/// JSON text, each of a request's first reads finds its key in that text, and the map is
/// decoded when the request changes something or has read four keys.
///
/// ```
/// use session_core::{Codec, JsonCodec, SessionState};
/// use time::OffsetDateTime;
/// let state = SessionState {
///     data: serde_json::json!({"user": "ann"}).as_object().unwrap().clone(),
///     created_at: OffsetDateTime::UNIX_EPOCH,
///     max_age: None,
/// };
/// let bytes = JsonCodec.encode(&state, OffsetDateTime::UNIX_EPOCH).unwrap();
/// assert_eq!(bytes, br#"{"d":{"user":"ann"},"c":0}"#);
/// assert_eq!(JsonCodec.decode(&bytes).unwrap(), state);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonCodec;

#[derive(Serialize)]
struct WireRef<'a> {
    d: &'a Map<String, Value>,
    c: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    m: Option<u64>,
}

/// Payloads from this size on are decoded lazily. Below it a decode costs little more than
/// finding the end of the data and then one key in it (callgrind: ~1,600 against ~1,260
/// instructions for a one-key session), and a request that reads and then writes pays for
/// both (+860 instructions); on a 1 KiB session reading one key is three times faster.
const LAZY_FROM: usize = 256;

/// [`Wire`] with the data left as JSON text.
#[derive(Deserialize)]
struct LazyWire<'a> {
    #[serde(borrow)]
    d: &'a RawValue,
    c: i64,
    #[serde(default)]
    m: Option<u64>,
}

#[derive(Deserialize)]
struct Wire {
    d: Map<String, Value>,
    c: i64,
    #[serde(default)]
    m: Option<u64>,
}

impl Codec for JsonCodec {
    fn encode(
        &self,
        state: &SessionState,
        _expires_at: OffsetDateTime,
    ) -> Result<Vec<u8>, CodecError> {
        serde_json::to_vec(&WireRef {
            d: &state.data,
            c: unix_millis(state.created_at),
            m: state.max_age.map(duration_millis),
        })
        .map_err(CodecError::new)
    }

    fn decode(&self, payload: &[u8]) -> Result<SessionState, CodecError> {
        let wire: Wire = serde_json::from_slice(payload).map_err(CodecError::new)?;
        Ok(SessionState {
            data: wire.d,
            created_at: from_unix_millis(wire.c),
            max_age: wire.m.map(Duration::from_millis),
        })
    }

    fn decode_lazily(&self, payload: &[u8]) -> Result<LazyState, CodecError> {
        if payload.len() < LAZY_FROM {
            return self.decode(payload).map(LazyState::decoded);
        }
        let wire: LazyWire<'_> = serde_json::from_slice(payload).map_err(CodecError::new)?;
        let data = wire.d.get().as_bytes();
        // `decode` would refuse anything but an object; so does this (and the session manager
        // checks that the object decodes).
        if data.first() != Some(&b'{') {
            return Err(CodecError::new("the session data is not a JSON object"));
        }
        // The raw value borrows from `payload`, so its offset is where it starts there.
        let start = data.as_ptr().addr().checked_sub(payload.as_ptr().addr());
        let Some(range) = start.map(|start| start..start + data.len()) else {
            return self.decode(payload).map(LazyState::decoded);
        };
        let state = SessionState {
            data: Map::new(),
            created_at: from_unix_millis(wire.c),
            max_age: wire.m.map(Duration::from_millis),
        };
        Ok(LazyState::undecoded(state, range))
    }
}

/// Milliseconds since the Unix epoch (rounded down), the unit stores and codecs keep instants
/// in.
///
/// ```
/// use session_core::{from_unix_millis, unix_millis};
/// use time::macros::datetime;
/// let t = datetime!(2030-01-01 0:00 UTC);
/// assert_eq!(from_unix_millis(unix_millis(t)), t);
/// ```
pub fn unix_millis(at: OffsetDateTime) -> i64 {
    // Seconds and milliseconds, not nanoseconds divided: the 128-bit division showed in
    // callgrind on every load and save (the memory store converts twice per request).
    at.unix_timestamp()
        .saturating_mul(1000)
        .saturating_add(i64::from(at.millisecond()))
}

/// A duration in whole milliseconds, the unit codecs keep lifetimes in; saturates at
/// `u64::MAX`.
///
/// ```
/// assert_eq!(session_core::duration_millis(std::time::Duration::from_secs(2)), 2000);
/// ```
pub fn duration_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The inverse of [`unix_millis`]; out-of-range values saturate to the Unix epoch.
pub fn from_unix_millis(ms: i64) -> OffsetDateTime {
    // Whole seconds, then the milliseconds set in place: the nanosecond constructor divides
    // an i128, and adding a `Duration` re-normalises the date, both in the profile of every
    // load (callgrind: 232 instructions a call with the addition).
    let millis = u16::try_from(ms.rem_euclid(1000)).unwrap_or(0);
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .and_then(|at| at.replace_millisecond(millis))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
