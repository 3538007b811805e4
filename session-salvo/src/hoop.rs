//! The hoop: begin before the handlers, finish after them.

use std::sync::Arc;

use salvo::http::uri::Scheme;
use salvo::http::StatusCode;
use salvo::{async_trait, Depot, FlowCtrl, Handler, Request, Response};
use session_core::{Clock, HttpRequest, SessionManager};

use crate::error::status_code;
use crate::Session;

/// A hoop that gives every request a [`Session`] in its [`Depot`] (loaded lazily, when a
/// handler first uses it) and saves it after the handlers. Cheap to clone.
///
/// ```
/// use salvo::Router;
/// use session_salvo::{Config, MemoryStore, SessionManager, SessionMiddleware};
///
/// let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
/// let manager = SessionManager::new(config, MemoryStore::new());
/// let hoop = SessionMiddleware::new(manager);
/// assert_eq!(hoop.manager().config().cookie_name(), "id");
/// let router = Router::new().hoop(hoop);
/// # let _ = router;
/// ```
#[derive(Clone)]
pub struct SessionMiddleware {
    manager: SessionManager,
    clock: Arc<dyn Clock>,
    tls: bool,
}

impl SessionMiddleware {
    /// A hoop for `manager`, reading the system clock.
    pub fn new(manager: SessionManager) -> Self {
        Self {
            manager,
            clock: Arc::new(session_core::SystemClock),
            tls: false,
        }
    }

    /// Says that this server's connections are TLS even where its acceptor reports plain
    /// `http`, so that [`session_core::Secure::Auto`] marks the cookie `Secure` without a
    /// proxy's `X-Forwarded-Proto`. salvo's own TLS acceptors (rustls, native-tls, openssl,
    /// quinn) are recognised without it. Default: `false`.
    ///
    /// ```
    /// # use session_salvo::{Config, MemoryStore, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let manager = SessionManager::new(config, MemoryStore::new());
    /// let hoop = session_salvo::SessionMiddleware::new(manager).serving_tls(true);
    /// # let _ = hoop;
    /// ```
    #[must_use]
    pub fn serving_tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// Reads the time from `clock` instead of the system clock (a fake clock in tests).
    ///
    /// ```
    /// # use session_salvo::{Config, MemoryStore, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let manager = SessionManager::new(config, MemoryStore::new());
    /// let fixed = || time::macros::datetime!(2030-01-01 0:00 UTC);
    /// let hoop = session_salvo::SessionMiddleware::new(manager).with_clock(fixed);
    /// # let _ = hoop;
    /// ```
    #[must_use]
    pub fn with_clock(self, clock: impl Clock) -> Self {
        self.with_shared_clock(Arc::new(clock))
    }

    /// Reads the time from a clock shared with other parts of the app (a test's fake clock
    /// moved forward to reach timeouts, say).
    ///
    /// ```
    /// # use session_salvo::{Config, MemoryStore, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let manager = SessionManager::new(config, MemoryStore::new());
    /// use session_salvo::Clock;
    /// let clock: std::sync::Arc<dyn Clock> = std::sync::Arc::new(session_salvo::SystemClock);
    /// let hoop = session_salvo::SessionMiddleware::new(manager).with_shared_clock(clock);
    /// # let _ = hoop;
    /// ```
    #[must_use]
    pub fn with_shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The manager this hoop drives.
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

#[async_trait]
impl Handler for SessionMiddleware {
    async fn handle(
        &self,
        req: &mut Request,
        depot: &mut Depot,
        res: &mut Response,
        ctrl: &mut FlowCtrl,
    ) {
        let view = HttpRequest {
            headers: req.headers(),
            // The socket's peer, never a forwarded header: whether to trust a proxy is the
            // core's decision.
            peer: req.remote_addr().ip(),
            // The acceptor's own TLS, as salvo reports it.
            tls: self.tls || *req.scheme() == Scheme::HTTPS,
        };
        // `begin` does no IO: a handler that never touches the session costs no store call.
        let session = self.manager.begin(&view, self.clock.now());
        depot.insert_typed(Session::from(session.clone()));
        ctrl.call_next(req, depot, res).await;
        // Called even for an untouched session (then ready at once, with nothing to send): a
        // streamed body holding the session must find it finished, not write into the void.
        // salvo answers 200 when a matched route's handlers set no status.
        let status = res.status_code.unwrap_or(StatusCode::OK).as_u16();
        let now = session.began_at();
        let error = match self.manager.finish(session, status, now).await {
            Ok(outcome) => match outcome.append_to(res.headers_mut()) {
                Ok(()) => return,
                Err(e) => {
                    tracing::error!(error = %e, "the session's headers could not be sent");
                    500
                }
            },
            Err(e) => {
                let status = e.status(self.manager.config().conflict_status());
                tracing::error!(error = %e, status, "session could not be saved");
                status
            }
        };
        // A new response without a body: the app's catcher renders the status.
        *res = Response::new();
        res.status_code(status_code(error));
    }
}
