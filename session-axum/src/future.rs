//! The future a `SessionService` returns: the inner service's response, then `finish`.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http::{Response, StatusCode};
use session_core::{Finish, Outcome, Session, SessionError, SessionManager};

pin_project_lite::pin_project! {
    /// The future a [`crate::SessionService`] returns: the inner service's response with the
    /// session's outcome applied. Named rather than boxed: a request that needs no store call
    /// finishes without an allocation, and one that does only boxes the store call (inside
    /// [`Finish`]).
    pub struct ResponseFuture<F, B> {
        #[pin]
        inner: F,
        manager: SessionManager,
        session: Option<Session>,
        finishing: Option<(Finish, Response<B>)>,
    }
}

impl<F, B> ResponseFuture<F, B> {
    pub(crate) fn new(inner: F, session: Session, manager: SessionManager) -> Self {
        Self {
            inner,
            manager,
            session: Some(session),
            finishing: None,
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Default,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let (finish, res) = match this.finishing {
            Some(finishing) => finishing,
            None => {
                let res = ready!(this.inner.poll(cx))?;
                // Finished even when untouched (no store call, no allocation): that is what
                // refuses a later write through a clone the handler handed to a task.
                let Some(session) = this.session.take() else {
                    return Poll::Ready(Ok(res));
                };
                let now = session.began_at();
                let mut finish = this.manager.finishing(session, res.status().as_u16(), now);
                // Usually ready at once: the response is then not moved into this future
                // and out again.
                if let Poll::Ready(result) = Pin::new(&mut finish).poll(cx) {
                    return Poll::Ready(Ok(apply(this.manager, result, res)));
                }
                this.finishing.insert((finish, res))
            }
        };
        let result = ready!(Pin::new(finish).poll(cx));
        // An empty response allocates nothing; it stands in until the future is dropped.
        let res = std::mem::replace(res, Response::new(B::default()));
        Poll::Ready(Ok(apply(this.manager, result, res)))
    }
}

/// Applies `finish`'s outcome to `res`, or replaces `res` by the error's status.
fn apply<B: Default>(
    manager: &SessionManager,
    result: Result<Outcome, SessionError>,
    mut res: Response<B>,
) -> Response<B> {
    match result {
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
