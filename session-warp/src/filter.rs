//! The filters that run a handler with the request's session and finish it after.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use session_core::{Clock, HttpRequest, SessionManager};
use warp::http::HeaderMap;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use crate::error::empty;
use crate::SessionError;

/// The manager and clock the session filters use. Cheap to clone.
///
/// ```
/// use session_warp::{Config, MemoryStore, SessionManager, Sessions};
///
/// let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
/// let sessions = Sessions::new(SessionManager::new(config, MemoryStore::new()));
/// let route = sessions.handle(|session| async move { session.destroy(); "bye" });
/// # let _ = route;
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

    /// A filter that runs `handler` with the request's [`Session`], then finishes the
    /// session: saves it (store first) and adds the `Set-Cookie` the core decided on to the
    /// handler's reply. If saving fails the response is an empty 503 (store down), conflict
    /// (409 by default) or 500 instead, and the cause is logged. There is no other way to get
    /// a session in warp, so a handler cannot forget to save one.
    ///
    /// Nothing is loaded until the handler first uses the session. The connection is taken as
    /// plain HTTP unless [`Sessions::serving_tls`] says otherwise.
    ///
    /// ```
    /// use session_warp::{Session, SessionError, Sessions};
    /// use warp::Filter;
    /// # let config = session_warp::Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let sessions = Sessions::new(session_warp::SessionManager::new(config, session_warp::MemoryStore::new()));
    /// async fn visit(session: Session) -> Result<String, SessionError> {
    ///     let n: u64 = session.get("visits").await?.unwrap_or(0) + 1;
    ///     session.insert("visits", n).await?;
    ///     Ok(format!("visit {n}"))
    /// }
    /// let route = warp::path("visit").and(sessions.handle(visit));
    /// # let _ = route;
    /// ```
    pub fn handle<H, Fut, R>(
        &self,
        handler: H,
    ) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone
    where
        H: Fn(Session) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = R> + Send,
        R: Reply,
    {
        self.begin().then(move |session: Session| {
            let handler = handler.clone();
            async move {
                let reply = handler(session.clone()).await;
                session.finish(reply).await
            }
        })
    }

    /// [`Sessions::handle`] for a handler that also takes what `args` extracts (a path
    /// parameter, a body; several as one tuple, with `.map(|a, b| (a, b))`).
    ///
    /// ```
    /// use session_warp::{Session, SessionError, Sessions};
    /// use warp::Filter;
    /// # let config = session_warp::Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let sessions = Sessions::new(session_warp::SessionManager::new(config, session_warp::MemoryStore::new()));
    /// async fn login(name: String, session: Session) -> Result<&'static str, SessionError> {
    ///     session.regenerate().await?;
    ///     session.set_user(Some(&name)).await?;
    ///     Ok("welcome")
    /// }
    /// let route = warp::path("login").and(sessions.handle_with(warp::path::param(), login));
    /// # let _ = route;
    /// ```
    pub fn handle_with<F, T, H, Fut, R>(
        &self,
        args: F,
        handler: H,
    ) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone
    where
        F: Filter<Extract = (T,), Error = Rejection> + Clone + Send + Sync + 'static,
        T: Send + 'static,
        H: Fn(T, Session) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = R> + Send,
        R: Reply,
    {
        args.and(self.begin())
            .then(move |args: T, session: Session| {
                let handler = handler.clone();
                async move {
                    let reply = handler(args, session.clone()).await;
                    session.finish(reply).await
                }
            })
    }

    /// Begins the request's session: no IO, no rejection.
    fn begin(&self) -> impl Filter<Extract = (Session,), Error = Infallible> + Clone {
        self.head().map(|session: Session, _: HeaderMap| session)
    }

    /// Begins the request's session, and hands on the request's headers too.
    pub(crate) fn head(
        &self,
    ) -> impl Filter<Extract = (Session, HeaderMap), Error = Infallible> + Clone {
        let sessions = self.clone();
        warp::header::headers_cloned()
            .and(warp::addr::remote())
            .map(move |headers: HeaderMap, peer: Option<SocketAddr>| {
                let view = HttpRequest {
                    headers: &headers,
                    peer: peer.map(|addr| addr.ip()),
                    tls: sessions.tls,
                };
                let session = sessions.manager.begin(&view, sessions.clock.now());
                (Session::from(session), headers)
            })
            .untuple_one()
    }
}

session_core::session_handle!(
    /// The request's session, given to a handler by [`Sessions::handle`]: derefs to
    /// [`session_core::Session`], so it has the same API as in every other adapter.
    ///
    /// ```
    /// async fn logout(session: session_warp::Session) -> &'static str {
    ///     session.destroy();
    ///     "bye"
    /// }
    /// ```
    Session
);

/// The session's value of type `T` (see [`session_core::SessionValue`]), or `T::default()`
/// when it has none, read from the [`Session`] a handler is given (warp hands the session to
/// handlers, not to filters). A stored value of another type reads as the default (see
/// [`session_core::Session::typed_or_default`]).
/// Write it back with [`session_core::Session::set_typed`].
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use session_warp::{Session, SessionError, SessionValue, Typed};
///
/// #[derive(Serialize, Deserialize, Default)]
/// struct Prefs { theme: String }
/// impl SessionValue for Prefs { const KEY: &'static str = "prefs"; }
///
/// async fn page(session: Session) -> Result<String, SessionError> {
///     let Typed(prefs) = Typed::<Prefs>::of(&session).await?;
///     Ok(format!("theme: {}", prefs.theme))
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Typed<T>(pub T);

impl<T: session_core::SessionValue + Default> Typed<T> {
    /// The session's `T`, or `T::default()`.
    pub async fn of(session: &Session) -> Result<Self, SessionError> {
        Ok(Typed(session.typed_or_default().await?))
    }
}

impl Session {
    /// Saves the session (store first) and returns `reply` as a response carrying the
    /// `Set-Cookie` the core decided on, or an empty error response if saving fails.
    pub(crate) async fn finish(self, reply: impl Reply) -> Response {
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
