//! Phase 2, `finish`: the decisions run at once; only a store call makes it wait.

use std::future::{ready, Future, Ready};
use std::task::{Context, Poll, Waker};

use futures_util::future::{BoxFuture, Either, FutureExt};
use tracing::Instrument;

use time::OffsetDateTime;

use super::stateless::{reissue, revokes};
use super::store_calls::StoreCalls;
use super::{output, Backend, Outcome, SessionManager};
use crate::config::Config;
use crate::decision::{self, CookieOp, Facts, Loaded, Plan, StoreOp};
use crate::error::SessionError;
use crate::id::SessionId;
use crate::observe;
use crate::session::{Phase, Session, State};
use crate::store::{ImmediateStore, StoreError, StoreErrorKind};

/// The future [`SessionManager::finishing`] returns: ready at once (`Left`) when the request
/// needs no store call (a session that was only read, a stateless token re-issued) or its
/// store never waits (an [`ImmediateStore`], which `finishing` has already called), so an
/// adapter can poll it in place without an allocation; a call to a networked store is one
/// boxed future (`Right`).
pub type Finish =
    Either<Ready<Result<Outcome, SessionError>>, BoxFuture<'static, Result<Outcome, SessionError>>>;

/// Where `finish` stands once the decisions are made.
// `Work` is moved once, into the store call's future; boxing it would be an allocation on
// every request that makes a store call.
#[allow(clippy::large_enum_variant)]
enum Settled {
    Done(Result<Outcome, SessionError>),
    StoreCall(Work),
}

/// What `finish` decided, and what applying it needs.
struct Work {
    state: State,
    plan: Plan,
    old_id: Option<SessionId>,
    /// Until when a revocation of `old_id` must last (stateless sessions).
    revoke_until: Option<OffsetDateTime>,
    expires_at: OffsetDateTime,
    /// How the credential may travel back (`Secure`, and whether a header may carry it).
    transport: output::Transport,
    now: OffsetDateTime,
}

impl SessionManager {
    /// Phase 2: decides and applies the store operation, then returns the headers to send.
    ///
    /// `status` is the response's HTTP status: on a 5xx nothing is saved, except that a
    /// [`Session::destroy`] always takes effect (the record is deleted and the cookie
    /// cleared, so a logout that fails afterwards still logs out). On error nothing
    /// was half-written; the adapter answers with [`SessionError::status`].
    ///
    /// This is [`SessionManager::finishing`], awaited: a request without a store call
    /// allocates nothing, nor does a call to a store that never waits ([`ImmediateStore`]),
    /// and a call to any other store runs in one boxed future. Holding the store call
    /// inline instead made this future 1,472 bytes, and adapters whose frameworks box their
    /// per-request futures (actix-web's middleware, Rocket's fairings) then allocated that
    /// much on every request, untouched ones included; in process on Rocket this costs 780
    /// fewer instructions a `read` (callgrind).
    pub async fn finish(
        &self,
        session: Session,
        status: u16,
        now: OffsetDateTime,
    ) -> Result<Outcome, SessionError> {
        self.finishing(session, status, now).await
    }

    /// [`SessionManager::finish`] as a named future that owns what it needs, for adapters
    /// that write their response future by hand (a boxed `async fn` would cost an
    /// allocation on every request): it is ready at once when there is no store call to
    /// make or the store never waits (the call is then made here), and only a call to a
    /// networked store is boxed.
    ///
    /// ```
    /// # use session_core::{Config, HttpRequest, SessionManager};
    /// # let config = Config::builder().secret("0123456789abcdef0123456789abcdef").build().unwrap();
    /// # let manager = SessionManager::stateless(config, session_core::JwtFormat::new(session_core::StatelessKeys::new(["0123456789abcdef0123456789abcdef"]).unwrap()));
    /// let headers = http::HeaderMap::new();
    /// let now = time::macros::datetime!(2030-01-01 0:00 UTC);
    /// let session = manager.begin(&HttpRequest { headers: &headers, peer: None, tls: true }, now);
    /// let finishing = manager.finishing(session, 200, now);
    /// assert!(matches!(finishing, futures_util::future::Either::Left(_)), "no store call to wait for");
    /// ```
    pub fn finishing(&self, session: Session, status: u16, now: OffsetDateTime) -> Finish {
        let span = observe::finish_span(status);
        let _entered = span.enter();
        match self.settle(session, status, now, &span) {
            Settled::Done(result) => Either::Left(ready(result)),
            Settled::StoreCall(mut work) => {
                let manager = self.clone();
                let call = async move { manager.complete(&mut work).await };
                Either::Right(call.instrument(span.clone()).boxed())
            }
        }
    }

    /// Decides, and applies at once what needs no store call.
    fn settle(
        &self,
        session: Session,
        status: u16,
        now: OffsetDateTime,
        span: &tracing::Span,
    ) -> Settled {
        let Some(mut work) = self.decide(&session, status, now) else {
            return Settled::Done(Ok(Outcome::default()));
        };
        drop(session);
        observe::decided(span, work.plan.store, work.plan.cookie);
        let had_session = work.old_id.is_some();
        let applied = match self.apply_now(&mut work) {
            Some(applied) => applied,
            None => match self.immediate_store() {
                Some(store) => self.apply_immediately(store, &mut work),
                None => return Settled::StoreCall(work),
            },
        };
        if applied.is_ok() {
            self.inner.instruments.applied(work.plan.store, had_session);
        }
        Settled::Done(applied.and_then(|(id, cookie)| self.render(&mut work, id, cookie)))
    }

    /// The store, when it never waits (see [`ImmediateStore`]).
    fn immediate_store(&self) -> Option<&dyn ImmediateStore> {
        match &self.inner.backend {
            Backend::Store(store) => store.immediate(),
            Backend::Stateless { .. } => None,
        }
    }

    /// Applies the plan to a store that never waits: the same sequence as for any store,
    /// polled once in place. It awaits only that store's calls, each ready at once, so that
    /// one poll finishes it; no future is boxed and the state stays where it is.
    fn apply_immediately(
        &self,
        store: &dyn ImmediateStore,
        work: &mut Work,
    ) -> Result<(Option<SessionId>, CookieOp), SessionError> {
        let applying = std::pin::pin!(self.apply_work_to_store(store, work));
        match applying.poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(applied) => applied,
            // Not reachable: nothing in the sequence waits but the store's ready calls.
            Poll::Pending => Err(SessionError::Store(StoreError::new(
                StoreErrorKind::Backend,
                "an immediate store's call did not finish at once",
            ))),
        }
    }

    /// Makes the store call `settle` left, then renders the outcome.
    async fn complete(&self, work: &mut Work) -> Result<Outcome, SessionError> {
        let had_session = work.old_id.is_some();
        let (id, cookie) = self.apply(work).await?;
        self.inner.instruments.applied(work.plan.store, had_session);
        self.render(work, id, cookie)
    }

    /// The plan for this request, or `None` when it has nothing to do: the handler neither
    /// used nor destroyed the session, or only read it from a store and the plan is no store
    /// call and no cookie. The state is moved out only when there is work: a read leaves it
    /// where it is, to be dropped with the handle (moving it cost two copies of the state).
    fn decide(&self, session: &Session, status: u16, now: OffsetDateTime) -> Option<Work> {
        let config = &self.inner.config;
        let mut guard = session.lock();
        // From here on, a write through a clone of the handle (a task still running after the
        // response) is refused with `SessionError::Finished` rather than lost.
        guard.finished = true;
        if !guard.needs_finish() {
            // Nothing to save: the turn goes now, not with the last clone of the handle.
            guard.turn = None;
            return None;
        }
        self.verified(session, &mut guard);
        let expires_at = decision::store_expiry(config, guard.created_at, guard.max_age, now);
        let plan = decision::decide(config, &facts(config, &guard, status, expires_at));
        let nothing = plan.store == StoreOp::None && plan.cookie == CookieOp::None;
        if nothing && matches!(self.inner.backend, Backend::Store(_)) {
            guard.turn = None;
            return None;
        }
        let mut state = std::mem::replace(&mut *guard, State::finished(now));
        drop(guard);
        let verified = state.verified.take().flatten();
        Some(Work {
            plan,
            old_id: verified.map(|(id, _)| id),
            revoke_until: state.revoke_until,
            state,
            expires_at,
            transport: output::Transport {
                secure: session.shared.secure,
                cookie_withheld: session.shared.cookie_withheld,
                token_header: !config.cookie_transport || session.shared.candidates.from_header,
            },
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
        match &self.inner.backend {
            Backend::Store(store) => self.apply_work_to_store(store.as_ref(), work).await,
            Backend::Stateless { revocations, .. } => {
                let Work {
                    state,
                    plan,
                    old_id,
                    revoke_until,
                    expires_at,
                    ..
                } = work;
                self.apply_stateless(
                    revocations.as_deref(),
                    *plan,
                    state,
                    old_id.take(),
                    revoke_until.unwrap_or(*expires_at),
                )
                .await
            }
        }
    }

    /// `apply_to_store` with what `work` holds, over either kind of store.
    async fn apply_work_to_store<S: StoreCalls + ?Sized>(
        &self,
        store: &S,
        work: &mut Work,
    ) -> Result<(Option<SessionId>, CookieOp), SessionError> {
        let Work {
            state,
            plan,
            old_id,
            expires_at,
            now,
            ..
        } = work;
        self.apply_to_store(store, *plan, state, old_id.take(), *expires_at, *now)
            .await
    }

    fn render(
        &self,
        work: &mut Work,
        id: Option<SessionId>,
        cookie: CookieOp,
    ) -> Result<Outcome, SessionError> {
        self.outcome(
            cookie,
            id.as_ref(),
            &mut work.state,
            work.transport,
            work.now,
        )
    }
}

/// What happened during the request, for [`decision::decide`]; `expires_at` is the stored
/// expiry a write or touch at `now` would give.
fn facts(config: &Config, state: &State, status: u16, expires_at: OffsetDateTime) -> Facts {
    let verified = state.verified.as_ref().and_then(Option::as_ref);
    Facts {
        loaded: match state.phase {
            Phase::NotLoaded => Loaded::NotLoaded,
            Phase::Absent => Loaded::Absent,
            Phase::Present { .. } => Loaded::Present,
        },
        had_cookie: verified.is_some(),
        resign: verified.is_some_and(|(_, key)| *key > 0),
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
    }
}
