//! The CSRF guard: a middleware that refuses unsafe requests without the session's token.

use std::future::{ready, Ready};
use std::rc::Rc;

use actix_web::body::EitherBody;
use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::error::PayloadError;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::{Bytes, BytesMut};
use actix_web::HttpMessage;
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use session_core::kit::{csrf_field, token_in_body, CSRF_HEADER, FORM_LIMIT};

use crate::{Session, SessionError};

/// Refuses POST, PUT, PATCH, DELETE (every method but GET, HEAD, OPTIONS and TRACE) with 403
/// unless the request carries the session's CSRF token (see
/// [`session_core::Session::csrf_token`]) in the `x-csrf-token` header or, for an HTML form,
/// the `csrf_token` field; the form's body is read for it (over 1 MiB: 413) and put back for
/// the handler. Wrap the scopes or resources to protect with it, inside
/// [`crate::SessionMiddleware`]; other routes pay nothing for it.
///
/// ```
/// use actix_web::{web, App, HttpResponse};
/// use session_actix::{CsrfMiddleware, Session, SessionError};
///
/// async fn transfer(session: Session) -> Result<HttpResponse, SessionError> {
///     Ok(HttpResponse::Ok().body("done")) // only reached with a valid token
/// }
/// let protected = web::scope("/account")
///     .wrap(CsrfMiddleware::new())
///     .route("/transfer", web::post().to(transfer));
/// let app = App::new().service(protected);
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

impl<S, B> Transform<S, ServiceRequest> for CsrfMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = CsrfService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CsrfService {
            service: Rc::new(service),
        }))
    }
}

/// The service [`CsrfMiddleware`] wraps around the routes; not used directly.
pub struct CsrfService<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for CsrfService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, actix_web::Error>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            match checked(&mut req).await {
                Ok(()) => Ok(service.call(req).await?.map_into_left_body()),
                Err(refused) => Ok(req.error_response(refused).map_into_right_body()),
            }
        })
    }
}

/// Passes the request (its body put back if it was read) or says why it is refused.
async fn checked(req: &mut ServiceRequest) -> Result<(), actix_web::Error> {
    let session = req.extensions().get::<Session>().cloned();
    let session = session.ok_or(SessionError::NotInstalled)?;
    let text = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let mut submitted = text(CSRF_HEADER).map(str::to_owned);
    let method = req.method().as_str().to_owned();
    if token_in_body(&method, submitted.as_deref(), text(CONTENT_TYPE.as_str())) {
        let body = read_form(req.take_payload()).await?;
        submitted = csrf_field(&body);
        req.set_payload(Payload::from(body));
    }
    match session.check_csrf(&method, submitted.as_deref()).await {
        Ok(checked) => Ok(checked.map_err(SessionError::Csrf)?),
        Err(e) => Err(SessionError::from(e).into()),
    }
}

/// The whole body, refused with 413 beyond [`FORM_LIMIT`].
async fn read_form(mut payload: Payload) -> Result<Bytes, PayloadError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > FORM_LIMIT {
            return Err(PayloadError::Overflow);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
