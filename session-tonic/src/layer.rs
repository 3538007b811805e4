//! The tower middleware: `begin` before the service, `finish` when it returns its response.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use session_core::{Clock, HttpRequest, Outcome, SessionManager};
use tonic::transport::server::TcpConnectInfo;
use tonic::{Code, Status};
use tower_layer::Layer;
use tower_service::Service;

use crate::error::{http_status, SessionError};

/// A [`Layer`] that gives every call a [`session_core::Session`] and puts the session's
/// outcome (a new or re-issued token) in the response's initial metadata. Works with
/// `tonic::transport::Server::builder().layer(...)` (see the crate's example) and any tower
/// stack whose response body implements [`Default`].
#[derive(Clone)]
pub struct SessionLayer {
    manager: SessionManager,
    clock: Arc<dyn Clock>,
    tls: bool,
}

impl SessionLayer {
    /// A layer for `manager`, reading the system clock. Its configuration should name a
    /// [`session_core::TokenHeader`]: gRPC clients keep no cookies.
    pub fn new(manager: SessionManager) -> Self {
        if manager.config().token_header().is_none() {
            tracing::warn!("no token header is configured: gRPC clients keep no cookies");
        }
        Self {
            manager,
            clock: Arc::new(session_core::SystemClock),
            tls: false,
        }
    }

    /// Says that this server's connections are TLS (`Server::builder().tls_config(...)`), so
    /// that [`session_core::Secure::Auto`] marks a cookie `Secure` without a proxy's
    /// `X-Forwarded-Proto`. Default: plain HTTP/2. Only cookies (off for gRPC) use it.
    #[must_use]
    pub fn serving_tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// Reads the time from `clock` instead of the system clock (a fake clock in tests).
    #[must_use]
    pub fn with_clock(self, clock: impl Clock) -> Self {
        self.with_shared_clock(Arc::new(clock))
    }

    /// Reads the time from a clock shared with other parts of the app (a test's fake clock
    /// moved forward to reach timeouts, say).
    #[must_use]
    pub fn with_shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The manager this layer drives.
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
#[derive(Clone, Debug)]
pub struct SessionService<S> {
    inner: S,
    layer: SessionLayer,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    /// Boxed, as tonic's router boxes each call's future too.
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResBody>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let manager = self.layer.manager.clone();
        let peer = req.extensions().get::<TcpConnectInfo>();
        let view = HttpRequest {
            headers: req.headers(),
            peer: peer.and_then(TcpConnectInfo::remote_addr).map(|a| a.ip()),
            tls: self.layer.tls,
        };
        // `begin` does no IO: a call that never touches the session costs no store call.
        let session = manager.begin(&view, self.layer.clock.now());
        req.extensions_mut().insert(session.clone());
        let response = self.inner.call(req);
        Box::pin(async move {
            let res = response.await?;
            // An error answered before any message has its `grpc-status` in the headers.
            let status = match res.headers().get("grpc-status") {
                Some(code) => http_status(Code::from_bytes(code.as_bytes())),
                None => res.status().as_u16(),
            };
            // Called even when the method left the session untouched (then at no cost): it
            // marks the handle finished, so that a write from the stream, which may hold a
            // clone, is refused rather than lost.
            let now = session.began_at();
            let result = manager.finish(session, status, now).await;
            Ok(apply(&manager, result, res))
        })
    }
}

/// Appends `finish`'s outcome to the initial metadata, or replaces `res` by a trailers-only
/// error response (HTTP 200, `grpc-status` and `grpc-message`), which clients read as a status.
fn apply<B: Default>(
    manager: &SessionManager,
    result: Result<Outcome, session_core::SessionError>,
    mut res: Response<B>,
) -> Response<B> {
    let error = match result {
        Ok(outcome) => match outcome.append_to(res.headers_mut()) {
            Ok(()) => return res,
            Err(e) => {
                tracing::error!(error = %e, "the session's metadata could not be sent");
                return Status::internal("session error").into_http();
            }
        },
        Err(e) => {
            let status = e.status(manager.config().conflict_status());
            SessionError::Finish(e, status)
        }
    };
    Status::from(error).into_http()
}
