//! warp, through `session-warp`.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Deserialize;
use session_core::{Clock, SessionManager};
use session_warp::{Session, SessionError, Sessions, Typed};
use warp::http::{Method, StatusCode};
use warp::hyper::body::Bytes;
use warp::path::FullPath;
use warp::reply::{with_status, Reply};
use warp::Filter;

use crate::http_suite::{form_reply, respond, typed_reply, AdapterHarness, Prefs, ServerHandle};

/// A warp server with `session-warp`.
#[derive(Debug, Clone, Copy)]
pub struct Warp;

type Request = (Method, FullPath, Bytes);

async fn route(
    (method, path, body): Request,
    session: Session,
) -> Result<impl Reply, SessionError> {
    let reply = respond(&session, method.as_str(), path.as_str(), &body).await?;
    Ok(with_status(reply.body, status(reply.status)))
}

fn status(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The form of `POST /guarded-form`.
#[derive(Deserialize)]
struct Note {
    note: Option<String>,
}

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
            let guarded = warp::path("guarded").and(sessions.csrf_guard(request, route));
            let form =
                sessions.csrf_form(
                    warp::path!("guarded-form").map(|| ()),
                    |(), form: Note, _session: Session| async move {
                        form_reply(form.note.as_deref()).body
                    },
                );
            let typed = sessions.handle(|session: Session| async move {
                let Typed(prefs) = Typed::<Prefs>::of(&session).await?;
                Ok::<_, SessionError>(typed_reply(&prefs).body)
            });
            let routes = guarded
                .or(warp::post().and(form))
                .unify()
                .or(warp::path!("typed").and(warp::get()).and(typed))
                .unify()
                .or(sessions.handle_with(request, route))
                .unify();
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
