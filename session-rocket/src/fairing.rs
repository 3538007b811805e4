//! The fairing: the session begins when a route first takes the guard, and finishes in
//! `on_response`. A request whose route never takes it costs no `begin` (no header parsing)
//! and no request callback.

use std::io::Cursor;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Status;
use rocket::{Build, Request, Response, Rocket};
use session_core::{Clock, RequestView, SessionManager};

/// Begins a request's session when its route first takes the [`crate::Session`] guard, and
/// saves it before the response leaves. One per application: a second one attached fails
/// ignition, with an error logged.
///
/// ```
/// use session_core::{Config, SessionManager};
/// use session_rocket::SessionFairing;
/// use session_stores::MemoryStore;
///
/// let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
/// let manager = SessionManager::new(config, MemoryStore::new());
/// let rocket = rocket::build().attach(SessionFairing::new(manager));
/// ```
#[derive(Clone)]
pub struct SessionFairing {
    manager: SessionManager,
    clock: Arc<dyn Clock>,
}

/// The request's session between the two fairing callbacks. Private, so that no other code's
/// request-local cache can collide with it.
#[derive(Default)]
struct Slot(Mutex<Option<session_core::Session>>);

impl Slot {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<session_core::Session>> {
        // A poisoned lock still holds a usable handle.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What the guard needs to begin a session: the attached fairing's manager and clock,
/// managed by the fairing at ignition.
struct Begin {
    manager: SessionManager,
    clock: Arc<dyn Clock>,
}

/// The request's session, begun now if the route takes the guard for the first time; `None`
/// without the fairing.
pub(crate) fn current(req: &Request<'_>) -> Option<session_core::Session> {
    let mut slot = req.local_cache(Slot::default).lock();
    if let Some(session) = slot.as_ref() {
        return Some(session.clone());
    }
    let begin = req.rocket().state::<Begin>()?;
    let session = begin.manager.begin(&View(req), begin.clock.now());
    *slot = Some(session.clone());
    Some(session)
}

impl SessionFairing {
    /// A fairing reading the system clock.
    pub fn new(manager: SessionManager) -> Self {
        Self {
            manager,
            clock: Arc::new(session_core::SystemClock),
        }
    }

    /// Replaces the clock (tests move a fake one to reach timeouts without sleeping).
    ///
    /// ```
    /// # use session_core::{Config, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let manager = SessionManager::new(config, session_stores::MemoryStore::new());
    /// let fixed = || time::macros::datetime!(2030-01-01 0:00 UTC);
    /// let fairing = session_rocket::SessionFairing::new(manager).with_clock(fixed);
    /// ```
    pub fn with_clock(self, clock: impl Clock) -> Self {
        self.with_shared_clock(Arc::new(clock))
    }

    /// Replaces the clock with a shared one.
    ///
    /// ```
    /// # use session_core::{Clock, Config, SessionManager};
    /// # let config = Config::builder().secret("a secret of at least thirty-two bytes!!").build().unwrap();
    /// # let manager = SessionManager::new(config, session_stores::MemoryStore::new());
    /// let clock: std::sync::Arc<dyn Clock> = std::sync::Arc::new(|| time::macros::datetime!(2030-01-01 0:00 UTC));
    /// let fairing = session_rocket::SessionFairing::new(manager).with_shared_clock(clock);
    /// ```
    pub fn with_shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

struct View<'a, 'r>(&'a Request<'r>);

impl RequestView for View<'_, '_> {
    fn cookie_headers(&self) -> impl Iterator<Item = &[u8]> {
        self.0.headers().get("Cookie").map(str::as_bytes)
    }
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.0.headers().get_one(name).map(str::as_bytes)
    }
    fn peer_ip(&self) -> Option<IpAddr> {
        // The socket's peer, never `client_ip` (which believes `X-Real-IP`): whether to trust
        // a proxy is the core's decision.
        self.0.remote().map(|addr| addr.ip())
    }
    fn is_tls(&self) -> bool {
        self.0.rocket().config().tls_enabled()
    }
}

#[rocket::async_trait]
impl Fairing for SessionFairing {
    fn info(&self) -> Info {
        Info {
            name: "session",
            kind: Kind::Ignite | Kind::Response,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> rocket::fairing::Result {
        if rocket.state::<Begin>().is_some() {
            tracing::error!("SessionFairing is attached twice: attach one per application");
            return Err(rocket);
        }
        Ok(rocket.manage(Begin {
            manager: self.manager.clone(),
            clock: self.clock.clone(),
        }))
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let Some(session) = req.local_cache(Slot::default).lock().take() else {
            return;
        };
        // Finished even when untouched (no store call): that is what refuses a later write
        // through a clone the handler handed to a task.
        let now = session.began_at();
        match self.manager.finish(session, res.status().code, now).await {
            Ok(outcome) => {
                for (name, value) in outcome.into_headers() {
                    res.adjoin_raw_header(name, value);
                }
            }
            Err(e) => {
                let status = e.status(self.manager.config().conflict_status());
                tracing::error!(error = %e, status, "session could not be saved");
                res.set_status(Status::new(status));
                res.set_sized_body(0, Cursor::new(Vec::new()));
            }
        }
    }
}
