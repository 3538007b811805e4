//! # session-examples
//!
//! Runnable examples. Run one with `cargo run -p session-examples --example NAME`; it listens
//! on 127.0.0.1, port `PORT` or 3000, and signs with `SESSION_SECRET` (a random secret for the
//! run when it is unset). Each example's application is the module of the same name, which
//! the tests in `tests/` serve on a free port and drive with a real HTTP client
//! (`cargo test -p session-examples`).
//!
//! - `axum`, `actix`, `rocket`, `warp`, `poem`, `salvo`: the same three routes on each
//!   framework, sessions in memory: `GET /` counts visits, `POST /login` (form field `name`)
//!   signs in, `POST /logout` signs out. Each imports from its framework's adapter crate
//!   alone.
//! - `stateless_jwt`: a JSON API on stateless JWT sessions in `Authorization: Bearer`.
//! - `tonic`: a gRPC counter service on tonic, its session token in the `x-session-token`
//!   metadata; `cargo run -p session-examples --example tonic -- call` calls it.
//! - `redis_fleet`: the `axum` example on sessions in Redis (`REDIS_URL`), shared by every
//!   instance started with the same `SESSION_SECRET`.
//! - `hyper_server`: a server on hyper alone (port 3001), embedding `session-core` directly,
//!   as a new adapter would.
//! - `express_migration`: a service taking over from the express-session app in
//!   `interop/express`, stage by stage ([`express`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::net::{Ipv4Addr, SocketAddr};

use anyhow::{bail, Context};
use session_core::SessionId;

pub mod actix;
pub mod axum;
pub mod express;
pub mod poem;
pub mod redis_fleet;
pub mod redis_setups;
pub mod rocket;
pub mod salvo;
pub mod stateless_jwt;
pub mod tonic;
pub mod warp;

/// The address an example listens on: 127.0.0.1, port `PORT` or 3000.
pub fn addr() -> anyhow::Result<SocketAddr> {
    let port = match std::env::var("PORT") {
        Ok(port) => port
            .parse()
            .with_context(|| format!("PORT={port:?} is not a port number (0 to 65535)"))?,
        Err(_) => 3000,
    };
    Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
}

/// The signing secret: `SESSION_SECRET`, or a random one for this run, with a warning.
pub fn secret() -> anyhow::Result<String> {
    match std::env::var("SESSION_SECRET") {
        Ok(secret) if secret.len() >= 32 => Ok(secret),
        Ok(secret) => bail!(
            "SESSION_SECRET is {} bytes; it needs at least 32 (try `openssl rand -base64 48`)",
            secret.len()
        ),
        Err(std::env::VarError::NotUnicode(_)) => bail!("SESSION_SECRET is not UTF-8"),
        Err(std::env::VarError::NotPresent) => {
            eprintln!(
                "warning: SESSION_SECRET is not set; using a random secret, so sessions will \
                 not survive a restart"
            );
            let (a, b) = (SessionId::generate()?, SessionId::generate()?);
            Ok(format!("{}{}", a.as_str(), b.as_str()))
        }
    }
}
