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
//! Errors: a store that fails while a route uses the session surfaces as [`SessionError`] (return it
//! with `?`; Rocket's catcher for its status answers); one that fails while the fairing saves
//! turns the response into an empty 503 (store down or slow), conflict (409 by default) or 500.
//! Nothing panics and nothing is half-saved: on a 5xx response the core saves nothing.
//!
//! Features: `memory` (default), `tokio`, `redis`, `redis-cluster`, `postgres`, `mysql`,
//! `sqlite`, `express`, `msgpack`: the stores and codecs of [`session_stores`] (see its
//! documentation for each), forwarded, so that this crate is the only dependency an app needs.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod fairing;

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

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
