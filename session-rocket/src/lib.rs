//! # session-rocket
//!
//! [Rocket 0.5](https://rocket.rs) adapter for [`session_core`]: attach [`SessionFairing`] and
//! take a [`Session`] request guard in any route. The fairing saves the session in
//! `on_response`, before the response leaves, and adds the core's `Set-Cookie`.
//!
//! ```
//! use rocket::local::asynchronous::Client;
//! use session_rocket::{Config, MemoryStore, Session, SessionError, SessionFairing, SessionManager};
//!
//! #[rocket::get("/")]
//! async fn visit(session: Session) -> Result<String, SessionError> {
//!     let visits: u64 = session.get("visits").await?.unwrap_or(0);
//!     session.insert("visits", visits + 1).await?;
//!     Ok(format!("visit {}", visits + 1))
//! }
//!
//! # rocket::async_test(async {
//! let config = Config::builder()
//!     .secret("a secret of at least thirty-two bytes!!")
//!     .build()?;
//! let manager = SessionManager::new(config, MemoryStore::new());
//! let rocket = rocket::build()
//!     .attach(SessionFairing::new(manager))
//!     .mount("/", rocket::routes![visit]);
//!
//! let client = Client::untracked(rocket).await?;
//! let res = client.get("/").dispatch().await;
//! let cookie = res.headers().get_one("Set-Cookie").unwrap();
//! assert!(cookie.starts_with("id=s%3A"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! Forms: the CSRF guard refuses POST, PUT, PATCH and DELETE requests without the session's
//! CSRF token with 403. A fairing cannot stop a request, so it comes as guards: the
//! [`CsrfGuard`] request guard checks the `x-csrf-token` header (routes that scripts call),
//! and the [`CsrfForm<T>`] data guard, a [`rocket::form::Form`] that checks the form's
//! `csrf_token` field too (HTML forms). [`Typed<T>`] hands a route the session's
//! [`SessionValue`] of type `T`.
//!
//! ```
//! use rocket::http::{ContentType, Header, Status};
//! use rocket::local::asynchronous::Client;
//! use rocket::FromForm;
//! use serde::{Deserialize, Serialize};
//! use session_rocket::{Config, CsrfForm, MemoryStore, Session, SessionError, SessionFairing};
//! use session_rocket::{SessionManager, SessionValue, Typed};
//!
//! #[derive(Serialize, Deserialize, Default, FromForm)]
//! struct Theme { theme: String }
//! impl SessionValue for Theme {
//!     const KEY: &'static str = "theme";
//! }
//!
//! #[rocket::get("/form")]
//! async fn form(session: Session) -> Result<String, SessionError> {
//!     Ok(session.csrf_token().await?) // rendered into the form's `csrf_token` field
//! }
//! #[rocket::post("/save", data = "<form>")]
//! async fn save(session: Session, form: CsrfForm<Theme>) -> Result<(), SessionError> {
//!     Ok(session.set_typed(&form.0).await?)
//! }
//! #[rocket::get("/")]
//! fn page(theme: Typed<Theme>) -> String {
//!     format!("theme: {}", theme.0.theme)
//! }
//!
//! # rocket::async_test(async {
//! # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build()?;
//! let rocket = rocket::build()
//!     .attach(SessionFairing::new(SessionManager::new(config, MemoryStore::new())))
//!     .mount("/", rocket::routes![form, save, page]);
//! let client = Client::untracked(rocket).await?;
//! let res = client.get("/form").dispatch().await;
//! let set_cookie = res.headers().get_one("Set-Cookie").ok_or("no cookie")?;
//! let cookie = Header::new("Cookie", set_cookie.split(';').next().unwrap_or_default().to_owned());
//! let token = res.into_string().await.unwrap_or_default();
//!
//! let saving = |body: String| {
//!     let req = client.post("/save").header(ContentType::Form).header(cookie.clone());
//!     req.body(body)
//! };
//! assert_eq!(saving("theme=dark".into()).dispatch().await.status(), Status::Forbidden);
//! let res = saving(format!("theme=dark&csrf_token={token}")).dispatch().await;
//! assert_eq!(res.status(), Status::Ok);
//! let res = client.get("/").header(cookie).dispatch().await;
//! assert_eq!(res.into_string().await.as_deref(), Some("theme: dark"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! Errors: a store that fails while a route uses the session surfaces as [`SessionError`] (return it
//! with `?`; Rocket's catcher for its status answers); one that fails while the fairing saves
//! turns the response into an empty 503 (store down or slow), conflict (409 by default) or 500.
//! Nothing panics and nothing is half-saved: on a 5xx response the core saves nothing.
//!
//! Features: `memory` (default), `tokio`, `redis`, `redis-cluster`, `redis-tls`,
//! `redis-sentinel`, `postgres`, `mysql`,
//! `sqlite`, `express`, `msgpack`: the stores and codecs of [`session_stores`] (see its
//! documentation for each), forwarded, so that this crate is the only dependency an app needs.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod csrf;
mod error;
mod fairing;

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

pub use csrf::{CsrfForm, CsrfGuard};
pub use error::SessionError;
pub use fairing::SessionFairing;

/// The core crate, for what the prelude leaves out (the adapter kit, decisions, ...).
pub use session_core;
pub use session_core::adapter::prelude::*;
/// The stores crate.
pub use session_stores;
#[doc(no_inline)]
pub use session_stores::*;

session_core::session_handle!(
    /// The request's session: a request guard that derefs to [`session_core::Session`], so it
    /// has the same API as in every other adapter. Needs [`SessionFairing`] attached; without
    /// it the guard fails with [`SessionError::NotInstalled`] (a 500).
    ///
    /// ```
    /// use session_rocket::{SessionError, Session};
    /// #[rocket::post("/logout")]
    /// fn logout(session: Session) -> &'static str {
    ///     session.destroy();
    ///     "bye"
    /// }
    /// ```
    Session
);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Session {
    type Error = SessionError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, SessionError> {
        match fairing::current(req) {
            Some(session) => Outcome::Success(Session::from(session)),
            None => Outcome::Error((Status::InternalServerError, SessionError::NotInstalled)),
        }
    }
}

/// The session's value of type `T` (see [`SessionValue`]), or `T::default()` when it has
/// none: a request guard for routes that only read it. A stored value of another type reads as the default (see
/// [`session_core::Session::typed_or_default`]). Write it back with
/// [`session_core::Session::set_typed`].
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use session_rocket::{SessionValue, Typed};
///
/// #[derive(Serialize, Deserialize, Default)]
/// struct Prefs { theme: String }
/// impl SessionValue for Prefs { const KEY: &'static str = "prefs"; }
///
/// #[rocket::get("/")]
/// fn page(prefs: Typed<Prefs>) -> String {
///     format!("theme: {}", prefs.0.theme)
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Typed<T>(pub T);

#[rocket::async_trait]
impl<'r, T: SessionValue + Default + Send> FromRequest<'r> for Typed<T> {
    type Error = SessionError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, SessionError> {
        let Some(session) = fairing::current(req) else {
            return Outcome::Error((Status::InternalServerError, SessionError::NotInstalled));
        };
        match session.typed_or_default().await {
            Ok(value) => Outcome::Success(Typed(value)),
            Err(e) => {
                let e = SessionError::from(e);
                tracing::error!(error = %e, "session error");
                Outcome::Error((Status::new(e.status()), e))
            }
        }
    }
}
