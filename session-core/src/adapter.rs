//! What a framework adapter is made of, and the parts every adapter shares.
//!
//! An adapter is three things, named the same in every framework:
//!
//! 1. **A per-request hook** (a tower `Layer`, an actix-web or poem middleware, a Rocket
//!    fairing, a warp filter, a salvo hoop; for gRPC, a tower layer on tonic's server): before the handler it maps the request head onto [`crate::RequestView`]
//!    (or [`crate::HttpRequest`]) and calls [`crate::SessionManager::begin`] with
//!    `clock.now()`; it hands the [`crate::Session`] to the handler (request extensions or
//!    local state); after the handler it calls [`crate::SessionManager::finish`] with the
//!    response status, and appends [`crate::Outcome::headers`] to the response. When `finish`
//!    fails it replaces the response with an empty one whose status is
//!    [`crate::SessionError::status`] (with the configured conflict status). Its constructor is
//!    `new(manager)`, with `with_clock`, `with_shared_clock` and `manager()`.
//!
//!    The request head it maps is the one received: every `Cookie` header, the other headers
//!    by name, the socket's direct peer (never a forwarded header, nor a framework's
//!    "client IP" helper: whether to trust a proxy is the core's decision) and whether the
//!    connection itself is TLS, as the framework's listener reports it; a hook whose
//!    framework cannot tell has `serving_tls(bool)`. `finish` is given
//!    [`crate::Session::began_at`] as `now` (one request, one instant) and the status the
//!    client will get: a handler's error counts with the status it is answered with, and the
//!    outcome's headers go on that answer. A header the framework refuses (the `http` crate's
//!    `Outcome::append_to` reports it) makes the answer an empty 500: a response without its
//!    cookie would silently lose the session. Whenever the hook replaces a response it logs
//!    the cause (the project's adapters with `tracing`); the client never sees it.
//!
//!    `finish` runs when the handler returns its response, before a streamed body is sent:
//!    the credential must reach the response head. A write made afterwards through a clone of
//!    the handle (from the streamed body, or a task the handler spawned) fails with
//!    [`crate::SessionError::Finished`], but only once `finish` has run on the handle: an
//!    adapter that skips `finish` when [`crate::Session::needs_finish`] is false (the handler
//!    left the session untouched) lets such a write succeed and be lost. Calling it anyway
//!    costs no store call and no allocation (it is ready at once, with nothing to send).
//!
//!    A gRPC adapter, whose responses are all HTTP 200, passes `finish` the HTTP status that a
//!    `grpc-status` in the response head stands for (200 without one), so that a call failed
//!    by the server (`INTERNAL`, `UNAVAILABLE`, ...) saves nothing, as a 5xx does; where an
//!    HTTP adapter answers with an empty status (`finish` failed, a header was refused), it
//!    answers with a trailers-only error response (HTTP 200, `content-type:
//!    application/grpc`, `grpc-status` and `grpc-message`), since gRPC clients do not read a
//!    bare HTTP status as the call's status. Its outcome headers go in the initial metadata.
//! 2. **A `Session` extractor**, declared with [`session_handle!`](crate::session_handle): the core's handle behind
//!    the framework's extractor trait (salvo: taken from the depot; gRPC, which has no
//!    extractors: `Session::from_request(&request)` on tonic's request extensions).
//! 3. **A `SessionError`**, declared with [`session_error!`](crate::session_error): the same variants and statuses
//!    everywhere, behind the framework's response trait.
//!
//! Optional, for HTML forms (the project's HTTP adapters have both; a gRPC adapter needs
//! neither):
//!
//! - **A CSRF guard**, per route, inside the hook, named after the framework's idiom
//!   (`CsrfLayer`, `CsrfMiddleware`, a request guard and a form data guard, a filter): for a
//!   method that is not [safe](crate::kit::is_safe_method), it takes the token from the
//!   [`CSRF_HEADER`](crate::kit::CSRF_HEADER), else, when
//!   [`token_in_body`](crate::kit::token_in_body) says so, from the form's
//!   [`csrf_field`](crate::kit::csrf_field), reading at most
//!   [`FORM_LIMIT`](crate::kit::FORM_LIMIT) bytes (413 beyond) and leaving the body readable
//!   by the handler; then [`crate::Session::check_csrf`] decides, and a [`crate::CsrfError`]
//!   is answered as the adapter's `SessionError::Csrf` (403), finished like any answer.
//!   Routes without the guard pay nothing for it.
//! - **A `Typed<T>` extractor**: the session's [`crate::SessionValue`] `T`, or `T::default()`
//!   when it has none, and also when what is stored is of another type (through
//!   [`crate::Session::typed_or_default`], so a changed struct never fails the request; the
//!   value stays until the handler writes a `T`). A handler that wants to know calls
//!   [`crate::Session::get_typed`], whose [`crate::SessionError::WrongType`] is a 400.
//!
//! The crate re-exports [`prelude`] and the stores, so that an application depends on its
//! framework's adapter alone.

/// Declares an adapter's `Session` type: the core's [`crate::Session`] in a newtype (so the
/// adapter can implement its framework's extractor trait for it), dereferencing to it, with
/// [`as_core`](crate::Session) and `into_core`.
///
/// ```
/// session_core::session_handle!(
///     /// The request's session.
///     Session
/// );
/// fn uses(session: &Session) -> &session_core::Session {
///     session.as_core()
/// }
/// ```
#[macro_export]
macro_rules! session_handle {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug)]
        pub struct $name($crate::Session);

        impl $name {
            /// The core's session handle, which this type dereferences to.
            pub fn as_core(&self) -> &$crate::Session {
                &self.0
            }

            /// The core's session handle, by value.
            pub fn into_core(self) -> $crate::Session {
                self.0
            }
        }

        impl ::std::ops::Deref for $name {
            type Target = $crate::Session;

            fn deref(&self) -> &$crate::Session {
                &self.0
            }
        }

        impl ::std::convert::From<$crate::Session> for $name {
            fn from(session: $crate::Session) -> Self {
                Self(session)
            }
        }
    };
}

/// Declares an adapter's `SessionError`: the same variants, messages and statuses in every
/// adapter. `$missing` says how to install the adapter, for the error a handler gets when it
/// asks for the session on a route the adapter does not cover.
///
/// - `Session(e)`: a session call in the handler failed: 503 when the store is down or slow,
///   500 otherwise;
/// - `Finish(e, status)`: finishing the session after the handler failed; `status` was chosen
///   with the configured conflict status (409 by default);
/// - `NotInstalled`: no session on this request (a 500: a mistake in the app's setup);
/// - `Csrf(e)`: a request that must carry the session's CSRF token did not (a 403).
///
/// ```
/// session_core::session_error!(
///     /// Why the session is unavailable.
///     SessionError,
///     "add the session layer to the router"
/// );
/// use session_core::{StoreError, StoreErrorKind};
/// let down = session_core::SessionError::Store(StoreError::from_kind(StoreErrorKind::Unavailable));
/// assert_eq!(SessionError::from(down).status(), 503);
/// assert_eq!(SessionError::NotInstalled.status(), 500);
/// assert!(SessionError::NotInstalled.to_string().contains("add the session layer"));
/// ```
#[macro_export]
macro_rules! session_error {
    ($(#[$meta:meta])* $name:ident, $missing:literal) => {
        $(#[$meta])*
        #[derive(Debug)]
        #[non_exhaustive]
        pub enum $name {
            /// A session call in the handler failed (store down, undecodable value, a write
            /// after the response, ...).
            Session($crate::SessionError),
            /// Finishing the session after the handler failed; the status to answer with.
            Finish($crate::SessionError, u16),
            /// The handler asked for the session on a route the adapter does not cover.
            NotInstalled,
            /// A request that must carry the session's CSRF token did not (a 403).
            Csrf($crate::CsrfError),
        }

        impl $name {
            /// The HTTP status to answer with: 503 when the store is down or slow, the
            /// conflict status for a concurrent change while finishing, 500 otherwise.
            pub fn status(&self) -> u16 {
                match self {
                    Self::Session(e) => e.status(409),
                    Self::Finish(_, status) => *status,
                    Self::NotInstalled => 500,
                    Self::Csrf(e) => e.status(),
                }
            }
        }

        impl ::std::convert::From<$crate::CsrfError> for $name {
            fn from(e: $crate::CsrfError) -> Self {
                Self::Csrf(e)
            }
        }

        impl ::std::convert::From<$crate::SessionError> for $name {
            fn from(e: $crate::SessionError) -> Self {
                Self::Session(e)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    Self::Session(e) | Self::Finish(e, _) => write!(f, "session error: {e}"),
                    Self::NotInstalled => f.write_str(concat!("no session on this request: ", $missing)),
                    Self::Csrf(e) => write!(f, "refused: {e}"),
                }
            }
        }

        impl ::std::error::Error for $name {
            fn source(&self) -> ::std::option::Option<&(dyn ::std::error::Error + 'static)> {
                match self {
                    Self::Session(e) | Self::Finish(e, _) => Some(e),
                    Self::NotInstalled => None,
                    Self::Csrf(e) => Some(e),
                }
            }
        }
    };
}

/// What an application imports, re-exported by every adapter crate beside its own `Session`,
/// `SessionError` and hook.
pub mod prelude {
    pub use crate::stateless::{EncryptedFormat, JwtFormat, SignedFormat, StatelessKeys};
    pub use crate::{
        Clock, Codec, Config, ConfigBuilder, ConfigError, ConflictPolicy, CsrfError,
        DuplicateCookies, ExpressCookie, ExpressOptions, Flash, FlashLevel, JsonCodec, Record,
        SameSite, Secure, SessionId, SessionManager, SessionManagerBuilder, SessionValue, Store,
        StoreError, StoreErrorKind, SystemClock, TokenFormat, TokenHeader, Unset, UserSession,
    };
}
