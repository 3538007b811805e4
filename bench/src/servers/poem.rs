//! poem servers: bare and ours.

use std::net::SocketAddr;

use poem::listener::TcpAcceptor;
use poem::{get, handler, EndpointExt, Route, Server};
use session_poem::{Session, SessionError, SessionMiddleware};

use super::ours;
use crate::variant::Layer;
use crate::BenchError;

pub(super) fn run(layer: Layer, addr: SocketAddr, redis: Option<String>) -> Result<(), BenchError> {
    super::runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let server = Server::new_with_acceptor(TcpAcceptor::from_tokio(listener)?);
        let manager = match (layer, redis) {
            (Layer::Bare, _) => {
                let routes = Route::new()
                    .at("/rw", get(zero))
                    .at("/read", get(zero))
                    .at("/new", get(zero))
                    .at("/untouched", get(untouched));
                server.run(routes).await?;
                return Ok(());
            }
            (Layer::OursMemory, _) => super::ours_memory()?,
            (Layer::OursRedis, Some(url)) => super::ours_redis(&url).await?,
            (other, _) => return Err(BenchError::Usage(format!("{other:?} is not a poem layer"))),
        };
        // The middleware wraps every route, `/untouched` included, as in an app that mounts
        // it in front of all of them.
        let routes = Route::new()
            .at("/rw", get(rw))
            .at("/read", get(read))
            .at("/new", get(new))
            .at("/untouched", get(untouched))
            .with(SessionMiddleware::new(manager));
        server.run(routes).await?;
        Ok(())
    })
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
