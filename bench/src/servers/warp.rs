//! warp servers: bare and ours.

use std::net::SocketAddr;

use session_warp::{Session, SessionError, Sessions};
use warp::Filter;

use super::ours;
use crate::variant::Layer;
use crate::BenchError;

pub(super) fn run(layer: Layer, addr: SocketAddr, redis: Option<String>) -> Result<(), BenchError> {
    super::runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let manager = match (layer, redis) {
            (Layer::Bare, _) => {
                let route = |path: &'static str, body: &'static str| {
                    warp::path(path).and(warp::path::end()).map(move || body)
                };
                let routes = route("rw", "0")
                    .or(route("read", "0"))
                    .or(route("new", "0"))
                    .or(route("untouched", "ok"));
                warp::serve(routes).incoming(listener).run().await;
                return Ok(());
            }
            (Layer::OursMemory, _) => super::ours_memory()?,
            (Layer::OursRedis, Some(url)) => super::ours_redis(&url).await?,
            (other, _) => return Err(BenchError::Usage(format!("{other:?} is not a warp layer"))),
        };
        let sessions = Sessions::new(manager);
        let with_session = |path: &'static str| {
            warp::path(path)
                .and(warp::path::end())
                .and(sessions.filter())
        };
        let rw = with_session("rw").then(|s: Session| async move {
            let reply = ours::rw(&s).await.map_err(SessionError::from);
            s.finish(reply).await
        });
        let read = with_session("read").then(|s: Session| async move {
            let reply = ours::read(&s).await.map_err(SessionError::from);
            s.finish(reply).await
        });
        let new = with_session("new").then(|s: Session| async move {
            let reply = ours::new(&s).await.map_err(SessionError::from);
            s.finish(reply).await
        });
        // The handler never touches the session, but the filter still runs, as it would in
        // an app that mounts it in front of every route.
        let untouched =
            with_session("untouched").then(|s: Session| async move { s.finish("ok").await });
        warp::serve(rw.or(read).or(new).or(untouched))
            .incoming(listener)
            .run()
            .await;
        Ok(())
    })
}
