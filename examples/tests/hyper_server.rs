//! Runs the `hyper_server` example's server on loopback and checks it with a real client.

#[allow(dead_code)] // the example's `main` is not used here
#[path = "../examples/hyper_server.rs"]
mod hyper_server;

use std::sync::Arc;

use session_core::{Config, SessionManager};
use session_stores::MemoryStore;

async fn start(store: MemoryStore) -> String {
    let config = Config::builder()
        .secret("a secret of at least thirty-two bytes!!")
        .build()
        .unwrap();
    let manager = SessionManager::new(config, store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let clock = || time::macros::datetime!(2030-01-01 0:00 UTC);
    tokio::spawn(hyper_server::serve(listener, manager, Arc::new(clock)));
    base
}

#[tokio::test]
async fn counter_health_and_logout() {
    let store = MemoryStore::new();
    let base = start(store.clone()).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();

    for expected in 1..=3 {
        let res = client.get(format!("{base}/")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap(), format!("visits: {expected}\n"));
    }
    assert_eq!(store.len(), 1);

    let health = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().get("set-cookie").is_none());

    let logout = client.post(format!("{base}/logout")).send().await.unwrap();
    let cleared = logout.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.contains("Expires=Thu, 01 Jan 1970"), "{cleared}");
    assert_eq!(store.len(), 0);

    let res = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "visits: 1\n");
    let missing = client.get(format!("{base}/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}
