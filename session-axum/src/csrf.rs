//! The CSRF guard: a layer that refuses unsafe requests without the session's token.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{header, Request, StatusCode};
use session_core::kit::{csrf_field, token_in_body, CSRF_HEADER, FORM_LIMIT};
use tower_layer::Layer;
use tower_service::Service;

use crate::SessionError;

/// Refuses POST, PUT, PATCH, DELETE (every method but GET, HEAD, OPTIONS and TRACE) with 403
/// unless the request carries the session's CSRF token (see
/// [`session_core::Session::csrf_token`]) in the `x-csrf-token` header or, for an HTML form,
/// the `csrf_token` field (a form body over 1 MiB is refused with 413). Goes inside
/// [`crate::SessionLayer`] (added before it), on the routes to protect.
///
/// ```
/// use axum::{routing::post, Router};
/// use session_axum::{CsrfLayer, Session, SessionError};
///
/// async fn transfer(session: Session) -> Result<&'static str, SessionError> {
///     Ok("done") // only reached with a valid token
/// }
/// let protected: Router = Router::new()
///     .route("/transfer", post(transfer))
///     .layer(CsrfLayer::new());
/// # let _ = protected;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CsrfLayer;

impl CsrfLayer {
    /// The guard.
    pub fn new() -> Self {
        Self
    }
}

impl<S> Layer<S> for CsrfLayer {
    type Service = CsrfService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CsrfService { inner }
    }
}

/// The service [`CsrfLayer`] wraps around the routes.
#[derive(Debug, Clone)]
pub struct CsrfService<S> {
    inner: S,
}

impl<S> Service<Request<Body>> for CsrfService<S>
where
    S: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        // The clone that was made ready serves this request; the new one waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            match checked(req).await {
                Ok(req) => inner.call(req).await,
                Err(refused) => Ok(refused),
            }
        })
    }
}

/// The request, with its body put back if it was read, or the response refusing it.
async fn checked(req: Request<Body>) -> Result<Request<Body>, Response> {
    let session = req
        .extensions()
        .get::<session_core::Session>()
        .cloned()
        .ok_or_else(|| SessionError::NotInstalled.into_response())?;
    let (mut submitted, read_body) = {
        let text = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
        let submitted = text(CSRF_HEADER).map(str::to_owned);
        let content_type = text(header::CONTENT_TYPE.as_str());
        let read_body = token_in_body(req.method().as_str(), submitted.as_deref(), content_type);
        (submitted, read_body)
    };
    let mut req = req;
    if read_body {
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
            return Err(StatusCode::PAYLOAD_TOO_LARGE.into_response());
        };
        submitted = csrf_field(&bytes);
        req = Request::from_parts(parts, Body::from(bytes));
    }
    let method = req.method().as_str().to_owned();
    match session.check_csrf(&method, submitted.as_deref()).await {
        Ok(Ok(())) => Ok(req),
        Ok(Err(refused)) => Err(SessionError::Csrf(refused).into_response()),
        Err(e) => Err(SessionError::from(e).into_response()),
    }
}
