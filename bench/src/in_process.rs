//! One request through an app in process: no socket, no kernel. Shared by the criterion
//! bench (`benches/axum_layer.rs`, time) and the callgrind one
//! (`benches/instructions.rs`, instructions), so both measure the same request.

use axum::body::Body;
use axum::Router;
use http::{header, Request};
use tower::ServiceExt;

use crate::client::{cookie_pair, made_up_cookie};
use crate::servers::axum_app;
use crate::{BenchError, Layer};

/// The apps compared in process, by name.
pub const APPS: &[&str] = &[
    "axum/bare",
    "axum/ours",
    "axum/towersessions",
    "axum/floor",
    #[cfg(feature = "rocket")]
    "rocket/bare",
    #[cfg(feature = "rocket")]
    "rocket/ours",
];

/// The scenarios, by route.
pub const SCENARIOS: [&str; 4] = ["untouched", "read", "rw", "new"];

/// An app with a session layer on the memory store (or none), and the cookie its session
/// scenarios send.
pub struct App {
    target: Target,
    cookie: String,
}

enum Target {
    Axum {
        router: Router,
        rt: tokio::runtime::Runtime,
    },
    #[cfg(feature = "rocket")]
    Rocket(Box<rocket::local::blocking::Client>),
}

impl App {
    /// One of [`APPS`], by name.
    pub fn named(name: &str) -> Result<Self, BenchError> {
        let (framework, layer) = name
            .split_once('/')
            .ok_or_else(|| BenchError::Usage(format!("{name}: not framework/layer")))?;
        let layer = match layer {
            "bare" => Layer::Bare,
            "ours" => Layer::OursMemory,
            "towersessions" => Layer::TowerSessionsMemory,
            "floor" => Layer::Floor,
            other => return Err(BenchError::Usage(format!("unknown layer {other}"))),
        };
        match framework {
            "axum" => Self::axum(layer),
            #[cfg(feature = "rocket")]
            "rocket" => Self::rocket(layer),
            other => Err(BenchError::Usage(format!("unknown framework {other}"))),
        }
    }

    /// The axum router with `layer`; for a session layer, with a cookie from `/new`.
    pub fn axum(layer: Layer) -> Result<Self, BenchError> {
        let rt = tokio::runtime::Builder::new_current_thread().build()?;
        // As `axum::serve` does per connection: routes become services once, not per request.
        let router = axum_app(layer)?.with_state(());
        Self::with_cookie(Target::Axum { router, rt }, layer != Layer::Bare)
    }

    /// The Rocket app, bare or with ours on the memory store, through Rocket's local client
    /// (Rocket's own request path, fairings included, without a socket).
    #[cfg(feature = "rocket")]
    pub fn rocket(layer: Layer) -> Result<Self, BenchError> {
        let manager = match layer {
            Layer::Bare => None,
            Layer::OursMemory => Some(crate::servers::ours_memory()?),
            other => return Err(BenchError::Usage(format!("{other:?} is not in process"))),
        };
        let config = rocket::Config {
            log_level: rocket::config::LogLevel::Off,
            ..rocket::Config::release_default()
        };
        let rocket = crate::servers::rocket_app(rocket::custom(config), manager);
        let client = rocket::local::blocking::Client::untracked(rocket)
            .map_err(|e| BenchError::Child(e.to_string()))?;
        Self::with_cookie(Target::Rocket(Box::new(client)), layer != Layer::Bare)
    }

    fn with_cookie(target: Target, session: bool) -> Result<Self, BenchError> {
        let mut app = Self {
            target,
            cookie: made_up_cookie(0),
        };
        if session {
            let set_cookie = app
                .send("new", true)?
                .ok_or_else(|| BenchError::Child("`/new` set no session cookie".into()))?;
            app.cookie = cookie_pair(&set_cookie).to_owned();
        }
        Ok(app)
    }

    /// One request of `scenario` (with the session cookie unless it is `new`).
    pub fn call(&self, scenario: &str) -> Result<(), BenchError> {
        self.send(scenario, false).map(drop)
    }

    /// One request; the response's `Set-Cookie` if `keep_cookie`.
    fn send(&self, scenario: &str, keep_cookie: bool) -> Result<Option<String>, BenchError> {
        let cookie = (scenario != "new").then_some(self.cookie.as_str());
        match &self.target {
            Target::Axum { router, rt } => {
                let mut req = Request::get(format!("/{scenario}"));
                if let Some(cookie) = cookie {
                    req = req.header(header::COOKIE, cookie);
                }
                let req = req
                    .body(Body::empty())
                    .map_err(|e| BenchError::Usage(e.to_string()))?;
                let res = match rt.block_on(router.clone().oneshot(req)) {
                    Ok(res) => res,
                    Err(never) => match never {},
                };
                let set_cookie = res
                    .headers()
                    .get(header::SET_COOKIE)
                    .filter(|_| keep_cookie);
                Ok(set_cookie.and_then(|v| v.to_str().ok()).map(str::to_owned))
            }
            #[cfg(feature = "rocket")]
            Target::Rocket(client) => {
                let mut req = client.get(format!("/{scenario}"));
                if let Some(cookie) = cookie {
                    req = req.header(rocket::http::Header::new("Cookie", cookie.to_owned()));
                }
                let res = req.dispatch();
                let set_cookie = res.headers().get_one("Set-Cookie").filter(|_| keep_cookie);
                Ok(set_cookie.map(str::to_owned))
            }
        }
    }
}
