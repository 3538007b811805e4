//! The session layer's own cost on axum (and Rocket), in process: one request through the router, no
//! socket and no kernel. The HTTP comparison's req/s moves ±5% with the machine; this
//! isolates what the layer adds per request (bare router vs. ours vs. tower-sessions), so a
//! change to the hot path can be judged on its own. On a busy host, where time itself moves,
//! `instructions` counts instructions instead.

use criterion::{criterion_group, criterion_main, Criterion};
use session_bench::in_process::{App, APPS, SCENARIOS};

fn layers(c: &mut Criterion) {
    for name in APPS {
        let app = App::named(name).expect("a memory-store app");
        let mut g = c.benchmark_group(name.replace('/', "_"));
        for scenario in SCENARIOS {
            g.bench_function(scenario, |b| {
                b.iter(|| app.call(scenario).expect("an answer"))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, layers);
criterion_main!(benches);
