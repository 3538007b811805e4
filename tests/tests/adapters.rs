//! Every HTTP scenario against a real server of every adapter, with the `Set-Cookie` headers
//! compared across adapters.

use session_tests::http_suite::{run, scenarios, servers, AdapterHarness};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_on_every_adapter() {
    let harnesses: [&dyn AdapterHarness; 6] = [
        &servers::Axum,
        &servers::Actix,
        &servers::Rocket,
        &servers::Warp,
        &servers::Poem,
        &servers::Salvo,
    ];
    let scenarios = scenarios();
    assert!(scenarios.len() >= 40, "only {} scenarios", scenarios.len());
    let report = run(&harnesses, &scenarios).await;
    println!("{}", report.summary());
    report.assert_passed();
    for (adapter, passed) in &report.passed {
        assert_eq!(*passed, scenarios.len(), "{adapter}");
    }
}
