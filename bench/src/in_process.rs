//! One request through an axum router in process: no socket, no kernel. Shared by the
//! criterion bench (`benches/axum_layer.rs`, time) and the callgrind one
//! (`benches/axum_instructions.rs`, instructions), so both measure the same request.

use axum::body::Body;
use axum::Router;
use http::{header, Request, Response};
use tower::ServiceExt;

use crate::client::{cookie_pair, made_up_cookie};
use crate::servers::axum_app;
use crate::{BenchError, Layer};

/// The layers compared in process.
pub const LAYERS: [(&str, Layer); 3] = [
    ("bare", Layer::Bare),
    ("ours", Layer::OursMemory),
    ("towersessions", Layer::TowerSessionsMemory),
];

/// The scenarios, by route.
pub const SCENARIOS: [&str; 4] = ["untouched", "read", "rw", "new"];

/// A router with `layer` on the memory store, and the cookie its session scenarios send.
pub struct App {
    router: Router,
    cookie: String,
    rt: tokio::runtime::Runtime,
}

impl App {
    /// Builds the router and, for a session layer, gets a session cookie from `/new`.
    pub fn new(layer: Layer) -> Result<Self, BenchError> {
        let rt = tokio::runtime::Builder::new_current_thread().build()?;
        let router = axum_app(layer)?;
        let mut app = Self {
            router,
            cookie: made_up_cookie(0),
            rt,
        };
        if layer != Layer::Bare {
            let res = app.call("new")?;
            let set_cookie = res
                .headers()
                .get(header::SET_COOKIE)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| BenchError::Child("`/new` set no session cookie".into()))?;
            app.cookie = cookie_pair(set_cookie).to_owned();
        }
        Ok(app)
    }

    /// One request of `scenario` (with the session cookie unless it is `new`).
    pub fn call(&self, scenario: &str) -> Result<Response<Body>, BenchError> {
        let mut req = Request::get(format!("/{scenario}"));
        if scenario != "new" {
            req = req.header(header::COOKIE, self.cookie.as_str());
        }
        let req = req
            .body(Body::empty())
            .map_err(|e| BenchError::Usage(e.to_string()))?;
        let res = self.rt.block_on(self.router.clone().oneshot(req));
        match res {
            Ok(res) => Ok(res),
            Err(never) => match never {},
        }
    }
}
