//! axum, through `session-axum`.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri};
use axum::routing::{any, get, post};
use axum::Router;
use futures_util::future::BoxFuture;
use session_axum::{CsrfLayer, Session, SessionError, SessionLayer, Typed};
use session_core::{Clock, SessionManager};

use crate::http_suite::{respond, typed_reply, AdapterHarness, Prefs, ServerHandle};

/// An axum server with `session-axum`.
#[derive(Debug, Clone, Copy)]
pub struct Axum;

async fn route(
    session: Session,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Result<(StatusCode, String), SessionError> {
    let reply = respond(&session, method.as_str(), uri.path(), &body).await?;
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Ok((status, reply.body))
}

async fn typed(Typed(prefs): Typed<Prefs>) -> String {
    typed_reply(&prefs).body
}

impl AdapterHarness for Axum {
    fn name(&self) -> &'static str {
        "axum"
    }

    fn spawn(
        &self,
        manager: SessionManager,
        clock: Arc<dyn Clock>,
    ) -> BoxFuture<'static, Result<ServerHandle, String>> {
        Box::pin(async move {
            let guarded = Router::new()
                .route("/guarded/{*rest}", any(route))
                .route("/guarded-form", post(route))
                .layer(CsrfLayer::new());
            let app = Router::new()
                .route("/typed", get(typed))
                .merge(guarded)
                .fallback(route)
                .layer(SessionLayer::new(manager).with_clock(move || clock.now()));
            let listener =
                tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                    .await
                    .map_err(|e| e.to_string())?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            tokio::spawn(async move {
                let _ = server.await;
            });
            Ok(ServerHandle::new(addr, move || {
                let _ = stop.send(());
            }))
        })
    }
}
