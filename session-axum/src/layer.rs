//! The tower middleware: `begin` before the inner service, `finish` after it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::ConnectInfo;
use http::{Request, Response};
use session_core::{Clock, HttpRequest, SessionManager};
use tower_layer::Layer;
use tower_service::Service;

use crate::future::ResponseFuture;

/// The system clock, the default for every layer.
///
/// A [`Layer`] that gives every request a [`session_core::Session`] and applies the session's
/// outcome to the response. Works with axum's `Router::layer`, nested routers and any
/// tower/hyper stack whose response body implements [`Default`].
///
/// ```
/// use session_axum::SessionLayer;
/// use session_core::{Config, SessionManager};
/// use session_stores::MemoryStore;
///
/// let config = Config::builder()
///     .secret("a secret of at least thirty-two bytes!!")
///     .build()
///     .unwrap();
/// let layer = SessionLayer::new(SessionManager::new(config, MemoryStore::new()))
///     .with_clock(|| time::macros::datetime!(2030-01-01 0:00 UTC));
/// let app: axum::Router = axum::Router::new().layer(layer);
/// # let _ = app;
/// ```
#[derive(Clone)]
pub struct SessionLayer {
    manager: SessionManager,
    clock: Arc<dyn Clock>,
    tls: bool,
}

impl SessionLayer {
    /// A layer for `manager`, reading the system clock.
    ///
    /// ```
    /// # use session_core::{Config, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// let layer = session_axum::SessionLayer::new(SessionManager::new(config, session_stores::MemoryStore::new()));
    /// assert_eq!(layer.manager().config().cookie_name(), "id");
    /// ```
    pub fn new(manager: SessionManager) -> Self {
        Self {
            manager,
            clock: Arc::new(session_core::SystemClock),
            tls: false,
        }
    }

    /// Says that this server's connections are TLS (terminated in process, by
    /// `axum-server`'s rustls acceptor say), so that [`session_core::Secure::Auto`] marks
    /// the cookie `Secure` without a proxy's `X-Forwarded-Proto`. Default: plain HTTP, where
    /// `Secure::Auto` relies on a trusted proxy.
    ///
    /// ```
    /// # use session_core::{Config, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let manager = SessionManager::new(config, session_stores::MemoryStore::new());
    /// let layer = session_axum::SessionLayer::new(manager).serving_tls(true);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn serving_tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// Reads the time from `clock` instead of the system clock (a fake clock in tests).
    ///
    /// ```
    /// # use session_core::{Config, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let manager = SessionManager::new(config, session_stores::MemoryStore::new());
    /// let fixed = || time::macros::datetime!(2030-01-01 0:00 UTC);
    /// let layer = session_axum::SessionLayer::new(manager).with_clock(fixed);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn with_clock(self, clock: impl Clock) -> Self {
        self.with_shared_clock(Arc::new(clock))
    }

    /// Reads the time from a clock shared with other parts of the app (a test's fake clock
    /// moved forward to reach timeouts, say).
    ///
    /// ```
    /// # use session_core::{Config, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let manager = SessionManager::new(config, session_stores::MemoryStore::new());
    /// use session_axum::Clock;
    /// let clock: std::sync::Arc<dyn Clock> = std::sync::Arc::new(session_axum::SystemClock);
    /// let layer = session_axum::SessionLayer::new(manager).with_shared_clock(clock);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn with_shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The manager this layer drives.
    ///
    /// ```
    /// # use session_core::{Config, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// let layer = session_axum::SessionLayer::new(SessionManager::new(config, session_stores::MemoryStore::new()));
    /// assert!(layer.manager().store().is_some());
    /// ```
    pub fn manager(&self) -> &SessionManager {
        &self.manager
    }
}

impl std::fmt::Debug for SessionLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionLayer")
            .field("manager", &self.manager)
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The [`Service`] made by [`SessionLayer`]; see there.
///
/// ```
/// use session_axum::{SessionLayer, SessionService};
/// use session_core::{Config, SessionManager};
/// use tower::Layer;
/// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
/// let layer = SessionLayer::new(SessionManager::new(config, session_stores::MemoryStore::new()));
/// let service: SessionService<_> = layer.layer(tower::service_fn(|_: http::Request<String>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
/// }));
/// # let _ = service;
/// ```
#[derive(Clone, Debug)]
pub struct SessionService<S> {
    inner: S,
    layer: SessionLayer,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let manager = self.layer.manager.clone();
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let view = HttpRequest {
            headers: req.headers(),
            peer,
            tls: self.layer.tls,
        };
        // `begin` does no IO: a handler that never touches the session costs no store call.
        let session = manager.begin(&view, self.layer.clock.now());
        req.extensions_mut().insert(session.clone());

        // Called here, not inside the future: the service driven to readiness is the one
        // called, and no clone of it (an allocation for axum's boxed routes) is needed.
        let response = self.inner.call(req);
        ResponseFuture::new(response, session, manager)
    }
}
