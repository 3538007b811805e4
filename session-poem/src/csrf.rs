//! The CSRF guard: a middleware that refuses unsafe requests without the session's token.

use poem::http::header::CONTENT_TYPE;
use poem::{Endpoint, Middleware, Request};
use session_core::kit::{csrf_field, token_in_body, CSRF_HEADER, FORM_LIMIT};

use crate::{Session, SessionError};

/// Refuses POST, PUT, PATCH, DELETE (every method but GET, HEAD, OPTIONS and TRACE) with 403
/// unless the request carries the session's CSRF token (see
/// [`session_core::Session::csrf_token`]) in the `x-csrf-token` header or, for an HTML form,
/// the `csrf_token` field; the form's body is read for it (over 1 MiB: 413) and put back for
/// the handler. Put it on the endpoints to protect, inside [`crate::SessionMiddleware`]; other
/// routes pay nothing for it.
///
/// ```
/// use poem::{post, handler, EndpointExt, Route};
/// use session_poem::{CsrfMiddleware, Session, SessionError};
///
/// #[handler]
/// async fn transfer(session: Session) -> Result<&'static str, SessionError> {
///     Ok("done") // only reached with a valid token
/// }
/// let app = Route::new().at("/transfer", post(transfer).with(CsrfMiddleware::new()));
/// # let _ = app;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CsrfMiddleware;

impl CsrfMiddleware {
    /// The guard.
    pub fn new() -> Self {
        Self
    }
}

impl<E: Endpoint> Middleware<E> for CsrfMiddleware {
    type Output = CsrfEndpoint<E>;

    fn transform(&self, inner: E) -> CsrfEndpoint<E> {
        CsrfEndpoint { inner }
    }
}

/// The endpoint [`CsrfMiddleware`] wraps around the routes; not used directly.
pub struct CsrfEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for CsrfEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> poem::Result<E::Output> {
        let session = req.extensions().get::<Session>().cloned();
        let session = session.ok_or(SessionError::NotInstalled)?;
        let text = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        let mut submitted = text(CSRF_HEADER).map(str::to_owned);
        let method = req.method().as_str().to_owned();
        if token_in_body(&method, submitted.as_deref(), text(CONTENT_TYPE.as_str())) {
            // Over the limit: poem's 413.
            let body = req.take_body().into_bytes_limit(FORM_LIMIT).await?;
            submitted = csrf_field(&body);
            req.set_body(body);
        }
        let checked = session.check_csrf(&method, submitted.as_deref()).await;
        checked
            .map_err(SessionError::from)?
            .map_err(SessionError::Csrf)?;
        self.inner.call(req).await
    }
}
