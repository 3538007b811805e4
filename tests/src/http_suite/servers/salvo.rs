//! salvo, through `session-salvo`.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use salvo::conn::tcp::TcpAcceptor;
use salvo::prelude::*;
use session_core::{Clock, SessionManager};
use session_salvo::{Session, SessionError, SessionMiddleware};

use crate::http_suite::{respond, AdapterHarness, ServerHandle};

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
            let router = Router::new()
                .hoop(SessionMiddleware::new(manager).with_shared_clock(clock))
                .path("{**rest}")
                .goal(route);
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
