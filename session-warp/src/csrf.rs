//! The CSRF guard: handlers that run only for requests carrying the session's token.

use std::future::Future;

use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use session_core::kit::{csrf_field, token_in_body, CSRF_HEADER, FORM_LIMIT};
use warp::http::header::CONTENT_TYPE;
use warp::http::{HeaderMap, Method};
use warp::reply::{Reply, Response};
use warp::{Buf, Filter, Rejection, Stream};

use crate::error::empty;
use crate::{Session, SessionError, Sessions};

impl Sessions {
    /// [`Sessions::handle_with`] behind the CSRF guard: a POST, PUT, PATCH or DELETE (every
    /// method but GET, HEAD, OPTIONS and TRACE) is answered with 403, without running
    /// `handler`, unless it carries the session's CSRF token (see
    /// [`session_core::Session::csrf_token`]) in the `x-csrf-token` header: for routes that
    /// scripts call. `args` may read the body. warp filters cannot put a body back once read,
    /// so an HTML form's `csrf_token` field is checked by [`Sessions::csrf_form`] instead.
    /// The refusal is an answer, not a rejection: no other route is tried, and the session is
    /// finished as after any handler.
    ///
    /// ```
    /// use session_warp::{Session, SessionError, Sessions};
    /// use warp::Filter;
    /// # let config = session_warp::Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let sessions = Sessions::new(session_warp::SessionManager::new(config, session_warp::MemoryStore::new()));
    /// async fn rename(name: String, session: Session) -> Result<&'static str, SessionError> {
    ///     session.insert("name", name).await?; // only reached with a valid token
    ///     Ok("renamed")
    /// }
    /// let route = warp::path("rename").and(sessions.csrf_guard(warp::body::json(), rename));
    /// # let _ = route;
    /// ```
    pub fn csrf_guard<F, T, H, Fut, R>(
        &self,
        args: F,
        handler: H,
    ) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone
    where
        F: Filter<Extract = (T,), Error = Rejection> + Clone + Send + Sync + 'static,
        T: Send + 'static,
        H: Fn(T, Session) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = R> + Send,
        R: Reply,
    {
        args.and(self.head()).and(warp::method()).then(
            move |args: T, session: Session, headers: HeaderMap, method: Method| {
                let handler = handler.clone();
                async move {
                    let submitted = text(&headers, CSRF_HEADER);
                    let reply = match check(&session, &method, submitted).await {
                        Ok(()) => handler(args, session.clone()).await.into_response(),
                        Err(refused) => refused.into_response(),
                    };
                    session.finish(reply).await
                }
            },
        )
    }

    /// [`Sessions::csrf_guard`] for an HTML form, parsed as `T` (as `warp::body::form` does)
    /// and given to `handler` after what `args` (which must not read the body) extracts. The
    /// token is taken from the `x-csrf-token` header, else from the form's `csrf_token` field,
    /// which `T` need not declare. The body is read up to 1 MiB (beyond: 413); one that is not
    /// a `T` is a 400.
    ///
    /// ```
    /// use serde::Deserialize;
    /// use session_warp::{Session, SessionError, Sessions};
    /// use warp::Filter;
    /// # let config = session_warp::Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let sessions = Sessions::new(session_warp::SessionManager::new(config, session_warp::MemoryStore::new()));
    /// #[derive(Deserialize)]
    /// struct Transfer { to: String, amount: u64 }
    ///
    /// async fn transfer(account: u32, form: Transfer, session: Session) -> Result<String, SessionError> {
    ///     Ok(format!("{} from {account} to {}", form.amount, form.to)) // only with a valid token
    /// }
    /// let route = warp::path("accounts").and(sessions.csrf_form(warp::path::param(), transfer));
    /// # let _ = route;
    /// ```
    pub fn csrf_form<F, A, T, H, Fut, R>(
        &self,
        args: F,
        handler: H,
    ) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone
    where
        F: Filter<Extract = (A,), Error = Rejection> + Clone + Send + Sync + 'static,
        A: Send + 'static,
        T: DeserializeOwned + Send + 'static,
        H: Fn(A, T, Session) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = R> + Send,
        R: Reply,
    {
        let head = self.head().and(warp::method());
        args.and(head).and(warp::body::stream()).then(
            move |args: A, session: Session, headers: HeaderMap, method: Method, body| {
                let handler = handler.clone();
                async move {
                    let reply = match form(&session, &headers, &method, body).await {
                        Ok(form) => handler(args, form, session.clone()).await.into_response(),
                        Err(refused) => refused,
                    };
                    session.finish(reply).await
                }
            },
        )
    }
}

/// The form, once the request has passed the check, or the answer refusing it.
async fn form<T: DeserializeOwned>(
    session: &Session,
    headers: &HeaderMap,
    method: &Method,
    body: impl Stream<Item = Result<impl Buf, warp::Error>>,
) -> Result<T, Response> {
    let mut body = std::pin::pin!(body);
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|_| empty(400))?;
        if bytes.len() + chunk.remaining() > FORM_LIMIT {
            return Err(empty(413));
        }
        bytes.extend_from_slice(&chunk.copy_to_bytes(chunk.remaining()));
    }
    let content_type = text(headers, CONTENT_TYPE.as_str());
    let submitted = match text(headers, CSRF_HEADER) {
        header if token_in_body(method.as_str(), header, content_type) => csrf_field(&bytes),
        header => header.map(str::to_owned),
    };
    check(session, method, submitted.as_deref())
        .await
        .map_err(Reply::into_response)?;
    serde_urlencoded::from_bytes(&bytes).map_err(|_| empty(400))
}

fn text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn check(
    session: &Session,
    method: &Method,
    submitted: Option<&str>,
) -> Result<(), SessionError> {
    let checked = session.check_csrf(method.as_str(), submitted).await?;
    Ok(checked?)
}
