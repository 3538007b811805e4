//! # session-core
//!
//! The sans-IO heart of the session layer: everything about HTTP sessions that does not need
//! a web framework, an async runtime or a network client.
//!
//! - [`Keyring`]: express-compatible signed ids (`s:<id>.<HMAC-SHA256>`), secret rotation.
//! - [`cookie_values`] and [`SetCookie`]: reading `Cookie` and writing `Set-Cookie` exactly
//!   like express-session, so Node and Rust services can share sessions.
//! - [`Config`]: one validated configuration for every adapter.
//! - [`decision`]: the in/out decisions as pure functions of facts, configuration and `now`.
//! - [`Session`]: the handle a request handler uses.
//! - [`Store`]: the async storage contract, bytes and an absolute expiry in, typed errors out.
//! - [`SessionManager`]: sequences the above around a store. An adapter calls
//!   [`SessionManager::begin`] before the handler and [`SessionManager::finish`] after it.
//!
//! Nothing in this crate reads the clock: every function that needs the time takes `now`.
//! The design notes live in [`manual`].
//!
//! ```
//! use session_core::{Config, HttpRequest, SessionManager, Store};
//! # use session_core::{Record, SessionId, StoreError};
//! # use time::OffsetDateTime;
//! # struct MyStore;
//! # impl Store for MyStore {
//! #   async fn load(&self, _: &SessionId, _: OffsetDateTime) -> Result<Option<Record>, StoreError> { Ok(None) }
//! #   async fn create(&self, _: &SessionId, _: &Record) -> Result<(), StoreError> { Ok(()) }
//! #   async fn save(&self, _: &SessionId, _: &Record, _: u64) -> Result<(), StoreError> { Ok(()) }
//! #   async fn touch(&self, _: &SessionId, _: OffsetDateTime) -> Result<(), StoreError> { Ok(()) }
//! #   async fn delete(&self, _: &SessionId) -> Result<(), StoreError> { Ok(()) }
//! # }
//! # futures_util::FutureExt::now_or_never(async {
//! let config = Config::builder().secret("0123456789abcdef0123456789abcdef").build()?;
//! let manager = SessionManager::new(config, MyStore);
//!
//! // Per request: the adapter maps its request type onto `RequestView`...
//! let headers = http::HeaderMap::new();
//! let now = time::macros::datetime!(2030-01-01 0:00 UTC);
//! let session = manager.begin(&HttpRequest { headers: &headers, peer: None, tls: true }, now);
//! // ...the handler uses the session...
//! session.insert("user", "ann").await?;
//! // ...and the adapter applies the outcome to its response.
//! let outcome = manager.finish(session, 200, now).await?;
//! assert!(outcome.set_cookie().is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap().unwrap();
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod adapter;
mod config;
mod cookie_header;
pub mod decision;
mod encoding;
mod error;
pub mod fuzzing;
mod id;
mod inline_str;
pub mod kit;
mod manager;
pub mod manual;
mod merge;
pub mod observe;
mod record;
mod request;
mod session;
mod session_data;
mod set_cookie;
mod signing;
pub mod stateless;
mod store;
mod transport;

pub use config::{
    Config, ConfigBuilder, ConfigError, ConflictPolicy, DuplicateCookies, ExpressCookie,
    ExpressOptions, SameSite, Secure, SessionTurns, Unset,
};
pub use cookie_header::cookie_values;
pub use encoding::{decode_uri_component, encode_uri_component_into};
pub use error::{SessionError, WrongType};
pub use id::{RandomnessUnavailable, SessionId, ID_BYTES};
pub use kit::{AuthHashLookup, CsrfError, Flash, FlashLevel, SessionValue};
#[cfg(feature = "http")]
pub use manager::InvalidHeader;
pub use manager::{Finish, Outcome, SessionManager, SessionManagerBuilder, UserSession};
pub use observe::Fingerprint;
pub use record::{
    duration_millis, from_unix_millis, unix_millis, Codec, CodecError, JsonCodec, LazyState,
    Record, SessionState,
};
#[cfg(feature = "http")]
pub use request::HttpRequest;
pub use request::RequestView;
pub use session::Session;
pub use set_cookie::{write_http_date, SetCookie};
pub use signing::{EmptyKeyring, Keyring, Unsigned, Verified};
pub use stateless::{
    Claims, EncryptedFormat, JwtFormat, Opened, SignedFormat, StatelessKeys, TokenFormat,
};
pub use store::{BoxFuture, DynStore, ImmediateStore, Store, StoreError, StoreErrorKind};
pub use transport::TokenHeader;

/// Something that tells the time. Adapters own one (the system clock by default, a fake in
/// tests) and pass its reading to the core; the core never reads a clock itself.
///
/// ```
/// use session_core::Clock;
/// use time::macros::datetime;
/// let fixed = || datetime!(2030-01-01 0:00 UTC);
/// assert_eq!(fixed.now(), datetime!(2030-01-01 0:00 UTC));
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> time::OffsetDateTime;
}

/// The system clock (UTC), for adapters and background tasks. The core itself never calls
/// it: every function that needs the time takes `now`.
///
/// ```
/// use session_core::{Clock, SystemClock};
/// assert!(SystemClock.now().year() >= 2024);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The one reading of the system clock in the workspace's libraries.
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc()
    }
}

impl<F: Fn() -> time::OffsetDateTime + Send + Sync + 'static> Clock for F {
    fn now(&self) -> time::OffsetDateTime {
        self()
    }
}
