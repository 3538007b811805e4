//! The CSRF guard: a request guard for the header token, and a form data guard for the field.

use rocket::data::{self, Data, FromData, ToByteUnit};
use rocket::form::error::ErrorKind;
use rocket::form::{Errors, Form, FromForm};
use rocket::http::{RawStr, Status};
use rocket::request::{self, FromRequest, Request};
use session_core::kit::{csrf_field, CSRF_HEADER, FORM_LIMIT};

use crate::SessionError;

/// A request guard that fails with 403 for POST, PUT, PATCH, DELETE (every method but GET,
/// HEAD, OPTIONS and TRACE) unless the request carries the session's CSRF token (see
/// [`session_core::Session::csrf_token`]) in the `x-csrf-token` header: for routes that
/// scripts call. Request guards run before the body is read, so an HTML form's field is
/// checked by [`CsrfForm`] instead. Routes that take neither pay nothing for them.
///
/// ```
/// use session_rocket::{CsrfGuard, Session, SessionError};
///
/// #[rocket::post("/transfer")]
/// async fn transfer(_csrf: CsrfGuard, session: Session) -> Result<&'static str, SessionError> {
///     Ok("done") // only reached with a valid token
/// }
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct CsrfGuard;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CsrfGuard {
    type Error = SessionError;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, SessionError> {
        match check(req, req.headers().get_one(CSRF_HEADER)).await {
            Ok(()) => request::Outcome::Success(CsrfGuard),
            Err(e) => request::Outcome::Error((Status::new(e.status()), e)),
        }
    }
}

/// A form (`application/x-www-form-urlencoded`, up to 1 MiB: 413 beyond) parsed as `T`, as
/// Rocket's [`Form`] does, once the request has passed the CSRF check: the token is taken from
/// the `x-csrf-token` header, else from the form's `csrf_token` field, which `T` need not
/// declare. A missing or invalid token fails with 403 (a [`SessionError`] inside the
/// [`Errors`]); a body of another type is forwarded, as [`Form`] does. `T` owns its values
/// (`String` rather than `&str`).
///
/// ```
/// use rocket::FromForm;
/// use session_rocket::{CsrfForm, Session, SessionError};
///
/// #[derive(FromForm)]
/// struct Transfer { to: String, amount: u64 }
///
/// #[rocket::post("/transfer", data = "<form>")]
/// async fn transfer(form: CsrfForm<Transfer>, session: Session) -> Result<String, SessionError> {
///     Ok(format!("{} to {}", form.0.amount, form.0.to)) // only reached with a valid token
/// }
/// ```
#[derive(Debug, Clone)]
pub struct CsrfForm<T>(pub T);

#[rocket::async_trait]
impl<'r, T: for<'a> FromForm<'a> + 'static> FromData<'r> for CsrfForm<T> {
    type Error = Errors<'static>;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        if !req.content_type().is_some_and(|ct| ct.is_form()) {
            return data::Outcome::Forward((data, Status::UnsupportedMediaType));
        }
        let limit = Some(FORM_LIMIT as u64);
        let body = match data.open(FORM_LIMIT.bytes()).into_string().await {
            Ok(body) if body.is_complete() => body.into_inner(),
            Ok(_) => {
                return refuse(ErrorKind::InvalidLength {
                    min: None,
                    max: limit,
                })
            }
            Err(e) => return refuse(ErrorKind::Io(e)),
        };
        let header = req.headers().get_one(CSRF_HEADER).map(str::to_owned);
        let submitted = header.or_else(|| csrf_field(body.as_bytes()));
        if let Err(e) = check(req, submitted.as_deref()).await {
            return refuse(ErrorKind::Custom(Status::new(e.status()), Box::new(e)));
        }
        match Form::<T>::parse_encoded(RawStr::new(&body)) {
            Ok(form) => data::Outcome::Success(CsrfForm(form)),
            Err(e) => data::Outcome::Error((e.status(), e)),
        }
    }
}

fn refuse<'r, T>(kind: ErrorKind<'static>) -> data::Outcome<'r, T, Errors<'static>> {
    let errors = Errors::from(kind);
    data::Outcome::Error((errors.status(), errors))
}

/// The check for `submitted`, on the request's session (begun here if no guard began it).
async fn check(req: &Request<'_>, submitted: Option<&str>) -> Result<(), SessionError> {
    let session = crate::fairing::current(req).ok_or(SessionError::NotInstalled)?;
    let checked = session.check_csrf(req.method().as_str(), submitted).await;
    let result = checked
        .map_err(SessionError::from)?
        .map_err(SessionError::Csrf);
    if let Err(e) = &result {
        tracing::error!(error = %e, "session error");
    }
    result
}
