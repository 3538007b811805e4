//! salvo servers: bare and ours.

use std::net::SocketAddr;

use salvo::conn::tcp::TcpAcceptor;
use salvo::prelude::*;
use session_salvo::{Session, SessionError, SessionMiddleware};

use super::ours;
use crate::variant::Layer;
use crate::BenchError;

pub(super) fn run(layer: Layer, addr: SocketAddr, redis: Option<String>) -> Result<(), BenchError> {
    super::runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let acceptor = TcpAcceptor::try_from(listener)?;
        let router = match (layer, redis) {
            (Layer::Bare, _) => Router::new()
                .push(Router::with_path("rw").get(zero))
                .push(Router::with_path("read").get(zero))
                .push(Router::with_path("new").get(zero))
                .push(Router::with_path("untouched").get(untouched)),
            (Layer::OursMemory, _) => ours_routes(super::ours_memory()?),
            (Layer::OursRedis, Some(url)) => ours_routes(super::ours_redis(&url).await?),
            (other, _) => return Err(BenchError::Usage(format!("{other:?} is not a salvo layer"))),
        };
        Server::new(acceptor).serve(router).await;
        Ok(())
    })
}

/// The routes behind the hoop, `/untouched` included, as in an app that mounts it in front
/// of all of them.
fn ours_routes(manager: session_core::SessionManager) -> Router {
    Router::new()
        .hoop(SessionMiddleware::new(manager))
        .push(Router::with_path("rw").get(rw))
        .push(Router::with_path("read").get(read))
        .push(Router::with_path("new").get(new))
        .push(Router::with_path("untouched").get(untouched))
}

#[handler]
fn zero() -> &'static str {
    "0"
}

#[handler]
fn untouched() -> &'static str {
    "ok"
}

#[handler]
async fn rw(s: Session) -> Result<String, SessionError> {
    Ok(ours::rw(&s).await?)
}

#[handler]
async fn read(s: Session) -> Result<String, SessionError> {
    Ok(ours::read(&s).await?)
}

#[handler]
async fn new(s: Session) -> Result<String, SessionError> {
    Ok(ours::new(&s).await?)
}
