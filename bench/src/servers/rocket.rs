//! Rocket servers: bare and ours.

use std::net::SocketAddr;

use rocket::config::LogLevel;
use rocket::{get, routes, Config};
use session_rocket::{Session, SessionError, SessionFairing};

use super::ours;
use crate::variant::Layer;
use crate::BenchError;

pub(super) fn run(layer: Layer, addr: SocketAddr, redis: Option<String>) -> Result<(), BenchError> {
    super::runtime()?.block_on(async move {
        let config = Config {
            address: addr.ip(),
            port: addr.port(),
            workers: 1,
            log_level: LogLevel::Off,
            ..Config::release_default()
        };
        let base = rocket::custom(config);
        let rocket = match (layer, redis) {
            (Layer::Bare, _) => base.mount("/", routes![bare_rw, bare_read, bare_new, untouched]),
            (Layer::OursMemory, _) => base
                .attach(SessionFairing::new(super::ours_memory()?))
                .mount("/", routes![rw, read, new, untouched]),
            (Layer::OursRedis, Some(url)) => base
                .attach(SessionFairing::new(super::ours_redis(&url).await?))
                .mount("/", routes![rw, read, new, untouched]),
            (other, _) => {
                return Err(BenchError::Usage(format!(
                    "{other:?} is not a Rocket layer"
                )))
            }
        };
        rocket
            .launch()
            .await
            .map_err(|e| BenchError::Child(e.to_string()))?;
        Ok(())
    })
}

#[get("/rw")]
fn bare_rw() -> &'static str {
    "0"
}

#[get("/read")]
fn bare_read() -> &'static str {
    "0"
}

#[get("/new")]
fn bare_new() -> &'static str {
    "0"
}

#[get("/untouched")]
fn untouched() -> &'static str {
    "ok"
}

#[get("/rw")]
async fn rw(s: Session) -> Result<String, SessionError> {
    Ok(ours::rw(&s).await?)
}

#[get("/read")]
async fn read(s: Session) -> Result<String, SessionError> {
    Ok(ours::read(&s).await?)
}

#[get("/new")]
async fn new(s: Session) -> Result<String, SessionError> {
    Ok(ours::new(&s).await?)
}
