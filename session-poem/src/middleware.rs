//! The middleware: begin before the endpoint, finish after it.

use std::sync::Arc;

use poem::http::uri::Scheme;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use session_core::{Clock, HttpRequest, SessionManager};

use crate::error::empty;
use crate::Session;

/// Gives every request a [`Session`] (loaded lazily, when the handler first uses it) and
/// saves it after the endpoint. Cheap to clone.
///
/// ```
/// use poem::{get, handler, EndpointExt, Route};
/// use session_poem::{Config, MemoryStore, SessionManager, SessionMiddleware};
///
/// #[handler]
/// fn index() -> &'static str {
///     "hello"
/// }
/// let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
/// let manager = SessionManager::new(config, MemoryStore::new());
/// let middleware = SessionMiddleware::new(manager);
/// assert_eq!(middleware.manager().config().cookie_name(), "id");
/// let app = Route::new().at("/", get(index)).with(middleware);
/// # let _ = app;
/// ```
#[derive(Clone)]
pub struct SessionMiddleware {
    manager: SessionManager,
    clock: Arc<dyn Clock>,
    tls: bool,
}

impl SessionMiddleware {
    /// A middleware for `manager`, reading the system clock.
    pub fn new(manager: SessionManager) -> Self {
        Self {
            manager,
            clock: Arc::new(session_core::SystemClock),
            tls: false,
        }
    }

    /// Says that this server's connections are TLS even where its listener reports plain
    /// `http` (a custom acceptor), so that [`session_core::Secure::Auto`] marks the cookie
    /// `Secure` without a proxy's `X-Forwarded-Proto`. poem's own TLS listeners (rustls,
    /// native-tls, openssl) are recognised without it. Default: `false`.
    ///
    /// ```
    /// # use session_poem::{Config, MemoryStore, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let manager = SessionManager::new(config, MemoryStore::new());
    /// let middleware = session_poem::SessionMiddleware::new(manager).serving_tls(true);
    /// # let _ = middleware;
    /// ```
    #[must_use]
    pub fn serving_tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// Reads the time from `clock` instead of the system clock (a fake clock in tests).
    ///
    /// ```
    /// # use session_poem::{Config, MemoryStore, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let manager = SessionManager::new(config, MemoryStore::new());
    /// let fixed = || time::macros::datetime!(2030-01-01 0:00 UTC);
    /// let middleware = session_poem::SessionMiddleware::new(manager).with_clock(fixed);
    /// # let _ = middleware;
    /// ```
    #[must_use]
    pub fn with_clock(self, clock: impl Clock) -> Self {
        self.with_shared_clock(Arc::new(clock))
    }

    /// Reads the time from a clock shared with other parts of the app (a test's fake clock
    /// moved forward to reach timeouts, say).
    ///
    /// ```
    /// # use session_poem::{Config, MemoryStore, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let manager = SessionManager::new(config, MemoryStore::new());
    /// use session_poem::Clock;
    /// let clock: std::sync::Arc<dyn Clock> = std::sync::Arc::new(session_poem::SystemClock);
    /// let middleware = session_poem::SessionMiddleware::new(manager).with_shared_clock(clock);
    /// # let _ = middleware;
    /// ```
    #[must_use]
    pub fn with_shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The manager this middleware drives.
    pub fn manager(&self) -> &SessionManager {
        &self.manager
    }
}

impl std::fmt::Debug for SessionMiddleware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionMiddleware")
            .field("manager", &self.manager)
            .finish_non_exhaustive()
    }
}

impl<E: Endpoint> Middleware<E> for SessionMiddleware {
    type Output = SessionEndpoint<E>;

    fn transform(&self, inner: E) -> SessionEndpoint<E> {
        SessionEndpoint {
            inner,
            middleware: self.clone(),
        }
    }
}

/// The endpoint [`SessionMiddleware`] wraps around the app; not used directly.
pub struct SessionEndpoint<E> {
    inner: E,
    middleware: SessionMiddleware,
}

impl<E: Endpoint> Endpoint for SessionEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let manager = &self.middleware.manager;
        let view = HttpRequest {
            headers: req.headers(),
            // The socket's peer, never a forwarded header: whether to trust a proxy is the
            // core's decision.
            peer: req.remote_addr().as_socket_addr().map(|addr| addr.ip()),
            // The listener's own TLS, as poem reports it.
            tls: self.middleware.tls || *req.scheme() == Scheme::HTTPS,
        };
        // `begin` does no IO: a handler that never touches the session costs no store call.
        let session = manager.begin(&view, self.middleware.clock.now());
        req.extensions_mut().insert(Session::from(session.clone()));
        let result = self.inner.call(req).await.map(IntoResponse::into_response);
        // Called even for an untouched session (then ready at once, with nothing to send): a
        // streamed body holding the session must find it finished, not write into the void.
        let status = result
            .as_ref()
            .map_or_else(poem::Error::status, Response::status);
        let now = session.began_at();
        match manager.finish(session, status.as_u16(), now).await {
            // No header to add: an error stays an error for the middleware around this one.
            Ok(outcome) if outcome.headers().next().is_none() => result,
            Ok(outcome) => {
                let mut res = result.unwrap_or_else(poem::Error::into_response);
                match outcome.append_to(res.headers_mut()) {
                    Ok(()) => Ok(res),
                    Err(e) => {
                        tracing::error!(error = %e, "the session's headers could not be sent");
                        Ok(empty(500))
                    }
                }
            }
            Err(e) => {
                let status = e.status(manager.config().conflict_status());
                tracing::error!(error = %e, status, "session could not be saved");
                Ok(empty(status))
            }
        }
    }
}
