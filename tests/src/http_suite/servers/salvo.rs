//! salvo, through `session-salvo`.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use salvo::conn::tcp::TcpAcceptor;
use salvo::prelude::*;
use session_core::{Clock, SessionManager};
use session_salvo::{CsrfMiddleware, Session, SessionError, SessionMiddleware, Typed};

use crate::http_suite::{respond, typed_reply, AdapterHarness, Prefs, ServerHandle};

/// A salvo server with `session-salvo`.
#[derive(Debug, Clone, Copy)]
pub struct Salvo;

#[handler]
async fn route(
    session: Session,
    req: &mut Request,
    res: &mut Response,
) -> Result<(), SessionError> {
    let body = match req.payload().await {
        Ok(body) => body.to_vec(),
        Err(_) => {
            res.status_code(StatusCode::BAD_REQUEST);
            return Ok(());
        }
    };
    let reply = respond(&session, req.method().as_str(), req.uri().path(), &body).await?;
    res.status_code(
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    );
    res.render(Text::Plain(reply.body));
    Ok(())
}

#[handler]
async fn typed(prefs: Typed<Prefs>) -> String {
    typed_reply(&prefs.0).body
}

impl AdapterHarness for Salvo {
    fn name(&self) -> &'static str {
        "salvo"
    }

    fn spawn(
        &self,
        manager: SessionManager,
        clock: Arc<dyn Clock>,
    ) -> BoxFuture<'static, Result<ServerHandle, String>> {
        Box::pin(async move {
            let guarded = |path| Router::with_path(path).hoop(CsrfMiddleware::new());
            let router = Router::new()
                .hoop(SessionMiddleware::new(manager).with_shared_clock(clock))
                .push(Router::with_path("typed").get(typed))
                .push(guarded("guarded-form").post(route))
                .push(guarded("guarded/{**rest}").goal(route))
                .push(Router::with_path("{**rest}").goal(route));
            let listener =
                tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                    .await
                    .map_err(|e| e.to_string())?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            let acceptor = TcpAcceptor::try_from(listener).map_err(|e| e.to_string())?;
            let server = Server::new(acceptor);
            let handle = server.handle();
            tokio::spawn(server.serve(router));
            Ok(ServerHandle::new(addr, move || {
                handle.stop_graceful(Duration::from_secs(1));
            }))
        })
    }
}
