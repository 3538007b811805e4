//! The middleware: begin before the handler, finish after it.

use std::future::{ready, Ready};
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::EitherBody;
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{HeaderName, HeaderValue, COOKIE};
use actix_web::HttpMessage;
use futures_util::future::LocalBoxFuture;
use session_core::{Clock, RequestView, SessionManager};

use crate::{Session, SessionError};

/// Loads the session lazily for handlers and saves it after them. Cheap to clone.
///
/// ```
/// use actix_web::App;
/// use session_actix::SessionMiddleware;
/// use session_core::{Config, SessionManager};
/// use session_stores::MemoryStore;
///
/// let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
/// let manager = SessionManager::new(config, MemoryStore::new());
/// let app = App::new().wrap(SessionMiddleware::new(manager));
/// ```
#[derive(Clone)]
pub struct SessionMiddleware {
    manager: SessionManager,
    clock: Arc<dyn Clock>,
}

impl SessionMiddleware {
    /// A middleware reading the system clock.
    pub fn new(manager: SessionManager) -> Self {
        Self {
            manager,
            clock: Arc::new(session_core::SystemClock),
        }
    }

    /// Replaces the clock (tests move a fake one to reach timeouts without sleeping).
    ///
    /// ```
    /// # use session_core::{Config, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let manager = SessionManager::new(config, session_stores::MemoryStore::new());
    /// let fixed = || time::macros::datetime!(2030-01-01 0:00 UTC);
    /// let middleware = session_actix::SessionMiddleware::new(manager).with_clock(fixed);
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
    /// let middleware = session_actix::SessionMiddleware::new(manager).with_shared_clock(clock);
    /// ```
    pub fn with_shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

impl<S, B> Transform<S, ServiceRequest> for SessionMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = SessionService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionService {
            service: Rc::new(service),
            middleware: self.clone(),
        }))
    }
}

/// The service [`SessionMiddleware`] wraps around the app; not used directly.
pub struct SessionService<S> {
    service: Rc<S>,
    middleware: SessionMiddleware,
}

struct View<'a>(&'a ServiceRequest);

impl RequestView for View<'_> {
    fn cookie_headers(&self) -> impl Iterator<Item = &[u8]> {
        self.0.headers().get_all(COOKIE).map(HeaderValue::as_bytes)
    }
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.0.headers().get(name).map(HeaderValue::as_bytes)
    }
    fn peer_ip(&self) -> Option<IpAddr> {
        self.0.peer_addr().map(|addr| addr.ip())
    }
    fn is_tls(&self) -> bool {
        // The server's own TLS, never a forwarded header: proxies are the core's decision.
        self.0.app_config().secure()
    }
}

impl<S, B> Service<ServiceRequest> for SessionService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, actix_web::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let manager = self.middleware.manager.clone();
        let session = manager.begin(&View(&req), self.middleware.clock.now());
        req.extensions_mut().insert(Session(session.clone()));
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            let mut res = service.call(req).await?;
            let status = res.status().as_u16();
            let now = session.began_at();
            let outcome = match manager.finish(session, status, now).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    let status = e.status(manager.config().conflict_status());
                    // The error replaces the response (and stays attached for logging
                    // middleware), instead of escaping as a service error.
                    return Ok(res
                        .error_response(SessionError::Finish(e, status))
                        .map_into_right_body());
                }
            };
            for (name, value) in outcome.headers() {
                let header = HeaderName::from_bytes(name.as_bytes())
                    .ok()
                    .zip(HeaderValue::from_str(value).ok());
                match header {
                    Some((name, value)) => res.headers_mut().append(name, value),
                    // The core renders visible ASCII only; a failure here is a bug, and sending
                    // the response without its cookie would silently lose the session: a 500.
                    None => {
                        let e = actix_web::error::ErrorInternalServerError(
                            "session header is not a valid HTTP header",
                        );
                        return Ok(res.error_response(e).map_into_right_body());
                    }
                }
            }
            Ok(res.map_into_left_body())
        })
    }
}
