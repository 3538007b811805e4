//! Runs the `axum` example's routes on the manager of `session_examples::express`, against
//! the local Redis (`SESSION_TEST_REDIS_URL`, default `redis://127.0.0.1:6379`): the cookie
//! and records are express-session's. Without a Redis this test fails.

use std::net::Ipv4Addr;

#[tokio::test]
async fn express_compatible_sessions_count_visits() {
    let redis_url = std::env::var("SESSION_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let manager = session_examples::express::manager(
        "the express app's secret, 32 bytes or more",
        &redis_url,
    )
    .await
    .unwrap_or_else(|e| panic!("this test needs Redis at {redis_url}: {e:#}"));
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = session_examples::axum::app(manager);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let first = client.get(format!("{base}/")).send().await.expect("GET /");
    let set_cookie = first.headers()["set-cookie"].to_str().expect("ASCII");
    assert!(set_cookie.starts_with("connect.sid=s%3A"), "{set_cookie}");
    assert!(set_cookie.contains("Max-Age=3600"), "{set_cookie}");
    assert_eq!(first.text().await.expect("body"), "visit 1\n");
    let second = client.get(format!("{base}/")).send().await.expect("GET /");
    assert_eq!(second.text().await.expect("body"), "visit 2\n");

    let login = client
        .post(format!("{base}/login"))
        .form(&[("name", "ann")])
        .send()
        .await
        .expect("POST /login");
    assert_eq!(login.status(), 200);
    let me = client.get(format!("{base}/")).send().await.expect("GET /");
    assert_eq!(
        me.text().await.expect("body"),
        "visit 3, signed in as ann\n"
    );
}
