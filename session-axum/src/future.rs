//! The future a `SessionService` returns: the inner service's response, then `finish`.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http::{Response, StatusCode};
use session_core::{Session, SessionManager};

/// `finish` and the response it completes; boxed because `finish` is an `async fn`.
type Finishing<B> = Pin<Box<dyn Future<Output = Response<B>> + Send>>;

pin_project_lite::pin_project! {
    /// The future a [`crate::SessionService`] returns: the inner service's response with the
    /// session's outcome applied. Named rather than boxed, so that a request whose handler
    /// never touched the session finishes without an allocation.
    pub struct ResponseFuture<F, B> {
        #[pin]
        inner: F,
        session: Option<(Session, SessionManager)>,
        finishing: Option<Finishing<B>>,
    }
}

impl<F, B> ResponseFuture<F, B> {
    pub(crate) fn new(inner: F, session: Session, manager: SessionManager) -> Self {
        Self {
            inner,
            session: Some((session, manager)),
            finishing: None,
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Default + Send + 'static,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Some(finishing) = this.finishing.as_mut() {
            return finishing.as_mut().poll(cx).map(Ok);
        }
        let res = ready!(this.inner.poll(cx))?;
        let finishing = match this.session.take() {
            Some((session, manager)) if session.needs_finish() => this
                .finishing
                .insert(Box::pin(finish(manager, session, res))),
            _ => return Poll::Ready(Ok(res)),
        };
        finishing.as_mut().poll(cx).map(Ok)
    }
}

/// Runs `finish` and applies its outcome to `res`, or replaces `res` by the error's status.
async fn finish<B: Default>(
    manager: SessionManager,
    session: Session,
    mut res: Response<B>,
) -> Response<B> {
    let now = session.began_at();
    match manager.finish(session, res.status().as_u16(), now).await {
        Ok(outcome) => {
            if let Err(e) = outcome.append_to(res.headers_mut()) {
                tracing::error!(error = %e, "the session's headers could not be sent");
                res = empty(500);
            }
        }
        Err(e) => {
            let status = e.status(manager.config().conflict_status());
            tracing::error!(error = %e, status, "session could not be saved");
            res = empty(status);
        }
    }
    res
}

/// An empty response with `status` (500 if it is not a valid status code).
fn empty<B: Default>(status: u16) -> Response<B> {
    let mut res = Response::new(B::default());
    *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    res
}
