//! Phase 2, `finish`: the decisions run at once; only a store call makes it wait.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use time::OffsetDateTime;

use super::stateless::{reissue, revokes};
use super::{Backend, Outcome, SessionManager};
use crate::decision::{self, CookieOp, Facts, Loaded, Plan, StoreOp};
use crate::error::SessionError;
use crate::id::SessionId;
use crate::session::{Phase, Session, State};

type Pending = Pin<Box<dyn Future<Output = Result<Outcome, SessionError>> + Send>>;

/// The future [`SessionManager::finish`] returns.
///
/// It is ready at once when the request needs no store call (a session that was only read,
/// a stateless token re-issued), so an adapter can poll it in place; only a store call is
/// boxed.
#[must_use = "a session is only saved when its `Finish` is awaited"]
pub struct Finish(Option<Step>);

enum Step {
    Ready(Result<Outcome, SessionError>),
    Pending(Pending),
}

impl Finish {
    fn ready(result: Result<Outcome, SessionError>) -> Self {
        Self(Some(Step::Ready(result)))
    }
}

impl Future for Finish {
    type Output = Result<Outcome, SessionError>;

    /// # Panics
    ///
    /// When polled again after it returned `Ready`, like any future.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.0.take() {
            Some(Step::Ready(result)) => Poll::Ready(result),
            Some(Step::Pending(mut future)) => {
                let poll = future.as_mut().poll(cx);
                if poll.is_pending() {
                    self.0 = Some(Step::Pending(future));
                }
                poll
            }
            None => panic!("`Finish` polled after it completed"),
        }
    }
}

impl std::fmt::Debug for Finish {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let step = match &self.0 {
            Some(Step::Ready(_)) => "ready",
            Some(Step::Pending(_)) => "waiting for the store",
            None => "completed",
        };
        f.debug_tuple("Finish").field(&step).finish()
    }
}

/// What `finish` decided, and what applying it needs.
struct Work {
    state: State,
    plan: Plan,
    old_id: Option<SessionId>,
    expires_at: OffsetDateTime,
    secure: bool,
    now: OffsetDateTime,
}

impl SessionManager {
    /// Phase 2: decides and applies the store operation, then returns the headers to send.
    ///
    /// `status` is the response's HTTP status: on a 5xx nothing is saved. On error nothing
    /// was half-written; the adapter answers with [`SessionError::status`]. The returned
    /// [`Finish`] owns what it needs, so it may outlive `self`.
    pub fn finish(&self, session: Session, status: u16, now: OffsetDateTime) -> Finish {
        let Some(mut work) = self.decide(&session, status, now) else {
            return Finish::ready(Ok(Outcome::default()));
        };
        drop(session);
        if let Some(applied) = self.apply_now(&mut work) {
            return Finish::ready(applied.and_then(|(id, cookie)| self.render(&work, id, cookie)));
        }
        let manager = self.clone();
        Finish(Some(Step::Pending(Box::pin(async move {
            let (id, cookie) = manager.apply(&mut work).await?;
            manager.render(&work, id, cookie)
        }))))
    }

    /// The plan for this request, or `None` when the handler neither used nor destroyed
    /// the session.
    fn decide(&self, session: &Session, status: u16, now: OffsetDateTime) -> Option<Work> {
        let config = &self.inner.config;
        let mut state = {
            let mut guard = session.lock();
            if !guard.needs_finish() {
                return None;
            }
            std::mem::replace(&mut *guard, State::new(now))
        };
        self.verified(session, &mut state);
        let verified = state.verified.take().flatten();
        let expires_at = decision::store_expiry(config, state.created_at, state.max_age, now);
        let facts = Facts {
            loaded: match state.phase {
                Phase::NotLoaded => Loaded::NotLoaded,
                Phase::Absent => Loaded::Absent,
                Phase::Present { .. } => Loaded::Present,
            },
            had_cookie: verified.is_some(),
            resign: verified.as_ref().is_some_and(|(_, key)| *key > 0),
            modified: state.modified,
            empty: state.data.is_empty(),
            regenerated: state.regenerated,
            destroyed: state.destroyed,
            server_error: status >= 500,
            touch_due: match state.phase {
                Phase::Present {
                    expires_at: stored, ..
                } => decision::touch_due(config, state.max_age, stored, expires_at),
                _ => false,
            },
            persistent_cookie: config.cookie_max_age(state.max_age).is_some(),
            max_age_changed: state.max_age_changed,
        };
        Some(Work {
            plan: decision::decide(config, &facts),
            old_id: verified.map(|(id, _)| id),
            state,
            expires_at,
            secure: session.shared.secure,
            now,
        })
    }

    /// Applies a plan that needs no store call; `None` when it needs one.
    fn apply_now(
        &self,
        work: &mut Work,
    ) -> Option<Result<(Option<SessionId>, CookieOp), SessionError>> {
        match &self.inner.backend {
            Backend::Store(_) if work.plan.store == StoreOp::None => {
                Some(Ok((work.state.id.clone(), work.plan.cookie)))
            }
            Backend::Stateless { revocations, .. }
                if revocations.is_none() || work.old_id.is_none() || !revokes(work.plan.store) =>
            {
                Some(reissue(work.plan, &work.state))
            }
            _ => None,
        }
    }

    async fn apply(&self, work: &mut Work) -> Result<(Option<SessionId>, CookieOp), SessionError> {
        let Work {
            state,
            plan,
            old_id,
            expires_at,
            now,
            ..
        } = work;
        match &self.inner.backend {
            Backend::Store(store) => {
                self.apply_to_store(
                    store.as_ref(),
                    *plan,
                    state,
                    old_id.take(),
                    *expires_at,
                    *now,
                )
                .await
            }
            Backend::Stateless { revocations, .. } => {
                self.apply_stateless(
                    revocations.as_deref(),
                    *plan,
                    state,
                    old_id.take(),
                    *expires_at,
                )
                .await
            }
        }
    }

    fn render(
        &self,
        work: &Work,
        id: Option<SessionId>,
        cookie: CookieOp,
    ) -> Result<Outcome, SessionError> {
        self.outcome(cookie, id.as_ref(), &work.state, work.secure, work.now)
    }
}
