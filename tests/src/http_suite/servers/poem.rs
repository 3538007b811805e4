//! poem, through `session-poem`.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use poem::http::StatusCode;
use poem::listener::TcpAcceptor;
use poem::{get, handler, post, EndpointExt, IntoResponse, Request, Response, Route, Server};
use session_core::{Clock, SessionManager};
use session_poem::{CsrfMiddleware, Session, SessionError, SessionMiddleware, Typed};

use crate::http_suite::{respond, typed_reply, AdapterHarness, Prefs, ServerHandle};

/// A poem server with `session-poem`.
#[derive(Debug, Clone, Copy)]
pub struct Poem;

#[handler]
async fn route(session: Session, req: &Request, body: Vec<u8>) -> Result<Response, SessionError> {
    let reply = respond(&session, req.method().as_str(), req.uri().path(), &body).await?;
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Ok((status, reply.body).into_response())
}

#[handler]
fn typed(Typed(prefs): Typed<Prefs>) -> String {
    typed_reply(&prefs).body
}

impl AdapterHarness for Poem {
    fn name(&self) -> &'static str {
        "poem"
    }

    fn spawn(
        &self,
        manager: SessionManager,
        clock: Arc<dyn Clock>,
    ) -> BoxFuture<'static, Result<ServerHandle, String>> {
        Box::pin(async move {
            let app = Route::new()
                .at("/typed", get(typed))
                .at("/guarded-form", post(route).with(CsrfMiddleware::new()))
                .nest_no_strip("/guarded", route.with(CsrfMiddleware::new()))
                .nest_no_strip("/", route)
                .with(SessionMiddleware::new(manager).with_shared_clock(clock));
            let listener =
                tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                    .await
                    .map_err(|e| e.to_string())?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            let acceptor = TcpAcceptor::from_tokio(listener).map_err(|e| e.to_string())?;
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
                app,
                async {
                    let _ = stopped.await;
                },
                Some(Duration::from_secs(1)),
            );
            tokio::spawn(async move {
                let _ = server.await;
            });
            Ok(ServerHandle::new(addr, move || {
                let _ = stop.send(());
            }))
        })
    }
}
