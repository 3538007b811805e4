//! The CSRF guard: a hoop that refuses unsafe requests without the session's token.

use salvo::http::header::CONTENT_TYPE;
use salvo::{async_trait, Depot, FlowCtrl, Handler, Request, Response, Writer};
use session_core::kit::{csrf_field, token_in_body, CSRF_HEADER, FORM_LIMIT};

use crate::{SessionDepotExt, SessionError};

/// A hoop that refuses POST, PUT, PATCH, DELETE (every method but GET, HEAD, OPTIONS and
/// TRACE) with 403 unless the request carries the session's CSRF token (see
/// [`session_core::Session::csrf_token`]) in the `x-csrf-token` header or, for an HTML form,
/// the `csrf_token` field. The form's body is read for it (over 1 MiB: 413) and stays cached
/// in the request, where the handler's `payload()`, `form()` and `form_data()` find it. Put it
/// on the routers to protect, below [`crate::SessionMiddleware`]; other routes pay nothing for
/// it. A refusal sets the status and stops the chain, for the app's catcher to render.
///
/// ```
/// use salvo::prelude::*;
/// use session_salvo::{CsrfMiddleware, Session, SessionError};
///
/// #[handler]
/// async fn transfer(session: Session) -> Result<&'static str, SessionError> {
///     Ok("done") // only reached with a valid token
/// }
/// let router = Router::with_path("transfer").hoop(CsrfMiddleware::new()).post(transfer);
/// # let _ = router;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CsrfMiddleware;

impl CsrfMiddleware {
    /// The guard.
    pub fn new() -> Self {
        Self
    }
}

#[async_trait]
impl Handler for CsrfMiddleware {
    async fn handle(
        &self,
        req: &mut Request,
        depot: &mut Depot,
        res: &mut Response,
        ctrl: &mut FlowCtrl,
    ) {
        let Some(session) = depot.session().cloned() else {
            res.render(SessionError::NotInstalled);
            return ctrl.skip_rest();
        };
        let text = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        let mut submitted = text(CSRF_HEADER).map(str::to_owned);
        let method = req.method().as_str().to_owned();
        if token_in_body(&method, submitted.as_deref(), text(CONTENT_TYPE.as_str())) {
            match req
                .payload_with_max_size(FORM_LIMIT)
                .await
                .map(|b| csrf_field(b))
            {
                Ok(field) => submitted = field,
                // salvo's answer: 413 over the limit, 400 for a broken body.
                Err(e) => {
                    e.write(req, depot, res).await;
                    return ctrl.skip_rest();
                }
            }
        }
        let refused = match session.check_csrf(&method, submitted.as_deref()).await {
            Ok(Ok(())) => return,
            Ok(Err(e)) => SessionError::Csrf(e),
            Err(e) => SessionError::from(e),
        };
        res.render(refused);
        ctrl.skip_rest();
    }
}
