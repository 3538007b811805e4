//! Rocket servers: bare and ours.

use std::net::SocketAddr;

use rocket::config::LogLevel;
use rocket::{get, routes, Build, Config, Rocket};
use session_core::SessionManager;
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
        let manager = match (layer, redis) {
            (Layer::Bare, _) => None,
            (Layer::OursMemory, _) => Some(super::ours_memory()?),
            (Layer::OursRedis, Some(url)) => Some(super::ours_redis(&url).await?),
            (other, _) => {
                return Err(BenchError::Usage(format!(
                    "{other:?} is not a Rocket layer"
                )))
            }
        };
        let rocket = app(rocket::custom(config), manager);
        rocket
            .launch()
            .await
            .map_err(|e| BenchError::Child(e.to_string()))?;
        Ok(())
    })
}

/// The routes on `base`: bare without a manager, else ours with the session fairing.
///
/// ```
/// let rocket = session_bench::servers::rocket_app(rocket::build(), None);
/// # let _ = rocket;
/// ```
pub fn app(base: Rocket<Build>, manager: Option<SessionManager>) -> Rocket<Build> {
    match manager {
        None => base.mount("/", routes![bare_rw, bare_read, bare_new, untouched]),
        Some(manager) => base
            .attach(SessionFairing::new(manager))
            .mount("/", routes![rw, read, new, untouched]),
    }
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
