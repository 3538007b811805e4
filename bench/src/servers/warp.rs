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
        let at = |path: &'static str| warp::path(path).and(warp::path::end());
        let rw = at("rw")
            .and(sessions.handle(|s: Session| async move {
                ours::rw(&s).await.map_err(SessionError::from)
            }));
        let read =
            at("read").and(sessions.handle(|s: Session| async move {
                ours::read(&s).await.map_err(SessionError::from)
            }));
        let new =
            at("new").and(sessions.handle(|s: Session| async move {
                ours::new(&s).await.map_err(SessionError::from)
            }));
        // The handler never touches the session, but the filter still runs, as it would in
        // an app that mounts it in front of every route.
        let untouched = at("untouched").and(sessions.handle(|_: Session| async { "ok" }));
        warp::serve(rw.or(read).or(new).or(untouched))
            .incoming(listener)
            .run()
            .await;
        Ok(())
    })
}
