//! The filter that begins a session and the finisher that saves it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use session_core::{Clock, HttpRequest, SessionManager};
use warp::http::HeaderMap;
use warp::reply::{Reply, Response};
use warp::Filter;

use crate::error::empty;

/// The manager and clock the session filter uses. Cheap to clone.
///
/// ```
/// use session_core::{Config, SessionManager};
/// use session_stores::MemoryStore;
/// use session_warp::Sessions;
///
/// let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
/// let sessions = Sessions::new(SessionManager::new(config, MemoryStore::new()));
/// let filter = sessions.filter();
/// ```
#[derive(Clone)]
pub struct Sessions {
    manager: SessionManager,
    clock: Arc<dyn Clock>,
    tls: bool,
}

impl Sessions {
    /// Sessions reading the system clock.
    pub fn new(manager: SessionManager) -> Self {
        Self {
            manager,
            clock: Arc::new(session_core::SystemClock),
            tls: false,
        }
    }

    /// Replaces the clock (tests move a fake one to reach timeouts without sleeping).
    ///
    /// ```
    /// # use session_core::{Config, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let manager = SessionManager::new(config, session_stores::MemoryStore::new());
    /// let fixed = || time::macros::datetime!(2030-01-01 0:00 UTC);
    /// let sessions = session_warp::Sessions::new(manager).with_clock(fixed);
    /// ```
    pub fn with_clock(self, clock: impl Clock) -> Self {
        self.with_shared_clock(Arc::new(clock))
    }

    /// Replaces the clock with a shared one.
    ///
    /// ```
    /// # use session_core::{Clock, Config, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let manager = SessionManager::new(config, session_stores::MemoryStore::new());
    /// let clock: std::sync::Arc<dyn Clock> = std::sync::Arc::new(|| time::macros::datetime!(2030-01-01 0:00 UTC));
    /// let sessions = session_warp::Sessions::new(manager).with_shared_clock(clock);
    /// ```
    pub fn with_shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Says that this server's connections are TLS (warp's `tls` feature, or another
    /// in-process TLS acceptor), so that [`session_core::Secure::Auto`] marks the cookie
    /// `Secure` without a proxy's `X-Forwarded-Proto`. Default: plain HTTP.
    ///
    /// ```
    /// # use session_core::{Config, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let manager = SessionManager::new(config, session_stores::MemoryStore::new());
    /// let sessions = session_warp::Sessions::new(manager).serving_tls(true);
    /// # let _ = sessions;
    /// ```
    #[must_use]
    pub fn serving_tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// A filter that yields the request's [`Session`]. It never rejects and makes no store
    /// call: the session loads when the handler first uses it.
    ///
    /// The connection is taken as plain HTTP unless [`Sessions::serving_tls`] says
    /// otherwise; `Secure::Auto` then relies on a trusted proxy.
    ///
    /// ```
    /// # use session_core::{Config, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let sessions = session_warp::Sessions::new(SessionManager::new(config, session_stores::MemoryStore::new()));
    /// use warp::Filter;
    /// let route = warp::path("hello")
    ///     .and(sessions.filter())
    ///     .then(|session: session_warp::Session| session.finish("hi"));
    /// ```
    pub fn filter(&self) -> impl Filter<Extract = (Session,), Error = Infallible> + Clone {
        let sessions = self.clone();
        warp::header::headers_cloned()
            .and(warp::addr::remote())
            .map(move |headers: HeaderMap, peer: Option<SocketAddr>| {
                let view = HttpRequest {
                    headers: &headers,
                    peer: peer.map(|addr| addr.ip()),
                    tls: sessions.tls,
                };
                Session::from(sessions.manager.begin(&view, sessions.clock.now()))
            })
    }
}

session_core::session_handle!(
    /// The request's session: derefs to [`session_core::Session`], so it has the same API as in
    /// every other adapter, and [`Session::finish`] applies it to the reply. warp has no
    /// response hook, so a session that is dropped without `finish` is not saved and sends no
    /// cookie (as if the handler had not touched it).
    ///
    /// ```
    /// async fn logout(session: session_warp::Session) -> warp::reply::Response {
    ///     session.destroy();
    ///     session.finish("bye").await
    /// }
    /// ```
    Session
);

impl Session {
    /// Saves the session (store first) and returns `reply` as a response carrying the
    /// `Set-Cookie` the core decided on. If saving fails the response is an empty 503 (store
    /// down), conflict (409 by default) or 500 instead, and the cause is logged.
    ///
    /// ```
    /// async fn handler(session: session_warp::Session) -> warp::reply::Response {
    ///     let reply = match session.insert("seen", true).await {
    ///         Ok(()) => Ok("noted"),
    ///         Err(e) => Err(session_warp::SessionError::from(e)),
    ///     };
    ///     session.finish(reply).await
    /// }
    /// ```
    pub async fn finish(self, reply: impl Reply) -> Response {
        let mut res = reply.into_response();
        let manager = self.as_core().manager().clone();
        let now = self.as_core().began_at();
        match manager
            .finish(self.into_core(), res.status().as_u16(), now)
            .await
        {
            Ok(outcome) => match outcome.append_to(res.headers_mut()) {
                Ok(()) => res,
                Err(e) => {
                    tracing::error!(error = %e, "the session's headers could not be sent");
                    empty(500)
                }
            },
            Err(e) => {
                let status = e.status(manager.config().conflict_status());
                tracing::error!(error = %e, status, "session could not be saved");
                empty(status)
            }
        }
    }
}
