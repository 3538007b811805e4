//! The session layer's own cost on axum, in process: one request through the router, no
//! socket and no kernel. The HTTP comparison's req/s moves ±5% with the machine; this
//! isolates what the layer adds per request (bare router vs. ours vs. tower-sessions) to
//! within a few nanoseconds, so a change to the hot path can be judged on its own.

use axum::body::Body;
use axum::Router;
use criterion::{criterion_group, criterion_main, Criterion};
use http::{header, Request};
use session_bench::client::{cookie_pair, made_up_cookie};
use session_bench::servers::axum_app;
use session_bench::Layer;
use std::hint::black_box;
use tower::ServiceExt;

fn request(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::get(path);
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    req.body(Body::empty()).expect("a valid request")
}

/// The session cookie a `/new` request gets back.
fn session_cookie(rt: &tokio::runtime::Runtime, app: &Router) -> String {
    let res = rt
        .block_on(app.clone().oneshot(request("/new", None)))
        .expect("the router answers");
    let set_cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .expect("an ASCII Set-Cookie");
    cookie_pair(set_cookie).to_owned()
}

fn layers(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    for (name, layer) in [
        ("bare", Layer::Bare),
        ("ours", Layer::OursMemory),
        ("towersessions", Layer::TowerSessionsMemory),
    ] {
        let app = axum_app(layer).expect("a memory-store app");
        let cookie = match layer {
            Layer::Bare => made_up_cookie(0),
            _ => session_cookie(&rt, &app),
        };
        let mut g = c.benchmark_group(format!("axum_{name}"));
        for scenario in ["untouched", "read", "rw", "new"] {
            let cookie = (scenario != "new").then_some(cookie.as_str());
            let path = format!("/{scenario}");
            g.bench_function(scenario, |b| {
                b.iter(|| {
                    let req = request(&path, cookie);
                    black_box(rt.block_on(app.clone().oneshot(req)))
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, layers);
criterion_main!(benches);
