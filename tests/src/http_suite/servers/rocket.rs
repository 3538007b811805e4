//! Rocket, through `session-rocket`.

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use rocket::config::{LogLevel, Shutdown};
use rocket::fairing::AdHoc;
use rocket::http::uri::Origin;
use rocket::http::Status;
use session_core::{Clock, SessionManager};
use session_rocket::{CsrfForm, CsrfGuard, Session, SessionFairing, Typed};

use crate::http_suite::{form_reply, respond, typed_reply, AdapterHarness, Prefs, ServerHandle};

/// A Rocket server with `session-rocket`.
#[derive(Debug, Clone, Copy)]
pub struct Rocket;

async fn answer(
    session: Session,
    method: &str,
    uri: &Origin<'_>,
    body: &[u8],
) -> Result<(Status, String), session_rocket::SessionError> {
    let reply = respond(&session, method, uri.path().as_str(), body).await?;
    Ok((Status::new(reply.status), reply.body))
}

#[rocket::get("/<_..>")]
async fn get(
    session: Session,
    uri: &Origin<'_>,
) -> Result<(Status, String), session_rocket::SessionError> {
    answer(session, "GET", uri, b"").await
}

#[rocket::post("/<_..>", data = "<body>")]
async fn post(
    session: Session,
    uri: &Origin<'_>,
    body: Vec<u8>,
) -> Result<(Status, String), session_rocket::SessionError> {
    answer(session, "POST", uri, &body).await
}

#[rocket::get("/guarded/<_..>")]
async fn guarded_get(
    _csrf: CsrfGuard,
    session: Session,
    uri: &Origin<'_>,
) -> Result<(Status, String), session_rocket::SessionError> {
    answer(session, "GET", uri, b"").await
}

#[rocket::post("/guarded/<_..>", data = "<body>")]
async fn guarded_post(
    _csrf: CsrfGuard,
    session: Session,
    uri: &Origin<'_>,
    body: Vec<u8>,
) -> Result<(Status, String), session_rocket::SessionError> {
    answer(session, "POST", uri, &body).await
}

/// The form of `POST /guarded-form`.
#[derive(rocket::FromForm)]
struct Note {
    note: Option<String>,
}

#[rocket::post("/guarded-form", data = "<form>")]
fn guarded_form(form: CsrfForm<Note>) -> String {
    form_reply(form.0.note.as_deref()).body
}

#[rocket::get("/typed")]
fn typed(prefs: Typed<Prefs>) -> String {
    typed_reply(&prefs.0).body
}

impl AdapterHarness for Rocket {
    fn name(&self) -> &'static str {
        "rocket"
    }

    fn spawn(
        &self,
        manager: SessionManager,
        clock: Arc<dyn Clock>,
    ) -> BoxFuture<'static, Result<ServerHandle, String>> {
        Box::pin(async move {
            // No signal handlers (many servers share the test process) and no grace period.
            #[cfg_attr(not(unix), allow(unused_mut))]
            let mut shutdown = Shutdown {
                ctrlc: false,
                grace: 0,
                mercy: 0,
                ..Shutdown::default()
            };
            #[cfg(unix)]
            shutdown.signals.clear();
            let config = rocket::Config {
                address: Ipv4Addr::LOCALHOST.into(),
                port: 0,
                log_level: LogLevel::Off,
                shutdown,
                ..rocket::Config::debug_default()
            };
            let (started, start) = tokio::sync::oneshot::channel();
            let started = Mutex::new(Some(started));
            let rocket = rocket::custom(config)
                .attach(SessionFairing::new(manager).with_shared_clock(clock))
                .attach(AdHoc::on_liftoff("report port", move |rocket| {
                    Box::pin(async move {
                        let sender = started.lock().ok().and_then(|mut s| s.take());
                        if let Some(sender) = sender {
                            let _ = sender.send((rocket.config().port, rocket.shutdown()));
                        }
                    })
                }))
                .mount(
                    "/",
                    rocket::routes![get, post, guarded_get, guarded_post, guarded_form, typed],
                );
            tokio::spawn(rocket.launch());
            let (port, shutdown) = start.await.map_err(|_| "Rocket did not lift off")?;
            Ok(ServerHandle::new(
                (Ipv4Addr::LOCALHOST, port).into(),
                move || {
                    shutdown.notify();
                },
            ))
        })
    }
}
