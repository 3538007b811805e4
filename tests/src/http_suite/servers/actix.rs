//! actix-web, through `session-actix`, on its own thread and actix system.

use std::net::Ipv4Addr;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use futures_util::future::BoxFuture;
use session_actix::{CsrfMiddleware, Session, SessionMiddleware, Typed};
use session_core::{Clock, SessionManager};

use crate::http_suite::{respond, typed_reply, AdapterHarness, Prefs, ServerHandle};

/// An actix-web server with `session-actix`.
#[derive(Debug, Clone, Copy)]
pub struct Actix;

async fn route(
    session: Session,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, session_actix::SessionError> {
    let reply = respond(&session, req.method().as_str(), req.path(), &body).await?;
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Ok(HttpResponse::build(status).body(reply.body))
}

async fn typed(Typed(prefs): Typed<Prefs>) -> String {
    typed_reply(&prefs).body
}

impl AdapterHarness for Actix {
    fn name(&self) -> &'static str {
        "actix-web"
    }

    fn spawn(
        &self,
        manager: SessionManager,
        clock: Arc<dyn Clock>,
    ) -> BoxFuture<'static, Result<ServerHandle, String>> {
        Box::pin(async move {
            let (started, start) = tokio::sync::oneshot::channel();
            // actix-web runs on its own single-threaded runtime: give it a thread and a system.
            let thread = std::thread::spawn(move || {
                let system = actix_web::rt::System::new();
                system.block_on(async move {
                    let server = HttpServer::new(move || {
                        App::new()
                            .wrap(
                                SessionMiddleware::new(manager.clone())
                                    .with_shared_clock(clock.clone()),
                            )
                            .route("/typed", web::get().to(typed))
                            .service(
                                web::resource("/guarded-form")
                                    .wrap(CsrfMiddleware::new())
                                    .route(web::post().to(route)),
                            )
                            .service(
                                web::scope("/guarded")
                                    .wrap(CsrfMiddleware::new())
                                    .default_service(web::to(route)),
                            )
                            .default_service(web::to(route))
                    })
                    .workers(1)
                    .disable_signals()
                    .bind((Ipv4Addr::LOCALHOST, 0));
                    let server = match server {
                        Ok(server) => server,
                        Err(e) => {
                            let _ = started.send(Err(e.to_string()));
                            return;
                        }
                    };
                    let addr = server.addrs()[0];
                    let running = server.run();
                    let _ = started.send(Ok((addr, running.handle())));
                    let _ = running.await;
                });
            });
            let (addr, handle) = start.await.map_err(|e| e.to_string())??;
            Ok(ServerHandle::new(addr, move || {
                // Sends the stop command, then waits for the server's thread to end so that
                // its shutdown does not overlap the next scenario's server.
                drop(handle.stop(false));
                let _ = thread.join();
            }))
        })
    }
}
