//! actix-web servers: bare, ours, actix-session.

use std::net::SocketAddr;

use actix_session::storage::{CookieSessionStore, RedisSessionStore};
use actix_web::cookie::Key;
use actix_web::{web, App, HttpServer};

use super::ours;
use crate::variant::Layer;
use crate::BenchError;

pub(super) fn run(layer: Layer, addr: SocketAddr, redis: Option<String>) -> Result<(), BenchError> {
    actix_web::rt::System::new().block_on(async move {
        // One worker: the handlers run on one thread, like every other server here.
        let server = match (layer, redis) {
            (Layer::Bare, _) => HttpServer::new(|| App::new().configure(bare))
                .workers(1)
                .bind(addr)?
                .run(),
            (Layer::OursMemory, _) => {
                let manager = super::ours_memory()?;
                HttpServer::new(move || {
                    App::new()
                        .wrap(session_actix::SessionMiddleware::new(manager.clone()))
                        .configure(ours_routes)
                })
                .workers(1)
                .bind(addr)?
                .run()
            }
            (Layer::OursRedis, Some(url)) => {
                // A connection per worker, made on the worker's own runtime, as the store's
                // docs advise for actix-web.
                let store = super::ours_redis_store(&url).await?;
                let config = super::ours_config()?;
                HttpServer::new(move || {
                    let store = store.with_own_connection();
                    App::new()
                        .wrap(session_actix::SessionMiddleware::new(
                            session_core::SessionManager::new(config.clone(), store),
                        ))
                        .configure(ours_routes)
                })
                .workers(1)
                .bind(addr)?
                .run()
            }
            (Layer::ActixSessionCookie, _) => {
                let key = Key::generate();
                HttpServer::new(move || {
                    App::new()
                        .wrap(
                            actix_session::SessionMiddleware::builder(
                                CookieSessionStore::default(),
                                key.clone(),
                            )
                            .cookie_secure(false)
                            .build(),
                        )
                        .configure(peer_routes)
                })
                .workers(1)
                .bind(addr)?
                .run()
            }
            (Layer::ActixSessionRedis, Some(url)) => {
                let key = Key::generate();
                let store = RedisSessionStore::new(url)
                    .await
                    .map_err(|e| BenchError::Store(e.to_string()))?;
                HttpServer::new(move || {
                    App::new()
                        .wrap(
                            actix_session::SessionMiddleware::builder(store.clone(), key.clone())
                                .cookie_secure(false)
                                .build(),
                        )
                        .configure(peer_routes)
                })
                .workers(1)
                .bind(addr)?
                .run()
            }
            (other, _) => {
                return Err(BenchError::Usage(format!(
                    "{other:?} is not an actix-web layer"
                )))
            }
        };
        server.await?;
        Ok(())
    })
}

fn bare(cfg: &mut web::ServiceConfig) {
    cfg.route("/rw", web::get().to(|| async { "0" }))
        .route("/read", web::get().to(|| async { "0" }))
        .route("/new", web::get().to(|| async { "0" }))
        .route("/untouched", web::get().to(|| async { "ok" }));
}

fn ours_routes(cfg: &mut web::ServiceConfig) {
    use session_actix::{Session, SessionError};
    async fn rw(s: Session) -> Result<String, SessionError> {
        Ok(ours::rw(&s).await?)
    }
    async fn read(s: Session) -> Result<String, SessionError> {
        Ok(ours::read(&s).await?)
    }
    async fn new(s: Session) -> Result<String, SessionError> {
        Ok(ours::new(&s).await?)
    }
    cfg.route("/rw", web::get().to(rw))
        .route("/read", web::get().to(read))
        .route("/new", web::get().to(new))
        .route("/untouched", web::get().to(|| async { "ok" }));
}

fn peer_routes(cfg: &mut web::ServiceConfig) {
    use actix_session::Session;
    use actix_web::error::ErrorInternalServerError as fail;
    async fn rw(s: Session) -> actix_web::Result<String> {
        let n: u64 = s.get("n").map_err(fail)?.unwrap_or(0) + 1;
        s.insert("n", n).map_err(fail)?;
        Ok(n.to_string())
    }
    async fn read(s: Session) -> actix_web::Result<String> {
        let n: u64 = s.get("n").map_err(fail)?.unwrap_or(0);
        Ok(n.to_string())
    }
    async fn new(s: Session) -> actix_web::Result<String> {
        s.insert("n", 1u64).map_err(fail)?;
        Ok("1".to_owned())
    }
    cfg.route("/rw", web::get().to(rw))
        .route("/read", web::get().to(read))
        .route("/new", web::get().to(new))
        .route("/untouched", web::get().to(|| async { "ok" }));
}
