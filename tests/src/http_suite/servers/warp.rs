//! warp, through `session-warp`.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use session_core::{Clock, SessionManager};
use session_warp::{Session, Sessions};
use warp::http::{Method, StatusCode};
use warp::hyper::body::Bytes;
use warp::path::FullPath;
use warp::Filter;

use crate::http_suite::{respond, AdapterHarness, ServerHandle};

/// A warp server with `session-warp`.
#[derive(Debug, Clone, Copy)]
pub struct Warp;

impl AdapterHarness for Warp {
    fn name(&self) -> &'static str {
        "warp"
    }

    fn spawn(
        &self,
        manager: SessionManager,
        clock: Arc<dyn Clock>,
    ) -> BoxFuture<'static, Result<ServerHandle, String>> {
        Box::pin(async move {
            let sessions = Sessions::new(manager).with_shared_clock(clock);
            let request = warp::method()
                .and(warp::path::full())
                .and(warp::body::bytes())
                .map(|method: Method, path: FullPath, body: Bytes| (method, path, body));
            let routes = sessions.handle_with(
                request,
                |(method, path, body): (Method, FullPath, Bytes), session: Session| async move {
                    match respond(&session, method.as_str(), path.as_str(), &body).await {
                        Ok(reply) => Ok(warp::reply::with_status(
                            reply.body,
                            StatusCode::from_u16(reply.status)
                                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                        )),
                        Err(e) => Err(session_warp::SessionError::from(e)),
                    }
                },
            );
            let listener =
                tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                    .await
                    .map_err(|e| e.to_string())?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            tokio::spawn(
                warp::serve(routes)
                    .incoming(listener)
                    .graceful(async {
                        let _ = stopped.await;
                    })
                    .run(),
            );
            Ok(ServerHandle::new(addr, move || {
                let _ = stop.send(());
            }))
        })
    }
}
