//! The `express_migration` example's stages against the local Redis
//! (`SESSION_TEST_REDIS_URL`, default `redis://127.0.0.1:6379`): a session made in the
//! `share` stage (express's cookie and record) is still logged in after the `switch`, and
//! then kept in the native format. Without a Redis this test fails; the same stages against
//! the real express app are `tests/tests/express_cutover.rs`.

use std::net::Ipv4Addr;

use session_examples::express::{app, manager, Stage};

async fn serve(stage: Stage, redis_url: &str) -> String {
    let secrets = vec!["keyboard cat".to_owned()];
    let manager = manager(stage, &secrets, redis_url)
        .await
        .unwrap_or_else(|e| panic!("this test needs Redis at {redis_url}: {e:#}"));
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app(manager)).await });
    base
}

#[tokio::test]
async fn a_shared_session_survives_the_switch() {
    let redis_url = std::env::var("SESSION_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let share = serve(Stage::Share, &redis_url).await;
    let client = reqwest::Client::new();
    let login = client
        .post(format!("{share}/login/ann"))
        .send()
        .await
        .expect("POST /login/ann");
    let set_cookie = login.headers()["set-cookie"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(set_cookie.starts_with("connect.sid=s%3A"), "{set_cookie}");
    assert!(
        !set_cookie.contains("Max-Age") && set_cookie.contains("; Expires="),
        "express's cookie has Expires alone: {set_cookie}"
    );
    let cookie = set_cookie.split(';').next().expect("name=value").to_owned();

    let switch = serve(Stage::Switch, &redis_url).await;
    let visit = client
        .post(format!("{switch}/visit"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("POST /visit");
    let body: serde_json::Value = visit.json().await.expect("JSON");
    assert_eq!(
        (body["user"].as_str(), body["visits"].as_u64()),
        (Some("ann"), Some(1))
    );

    let native = serve(Stage::Native, &redis_url).await;
    let me = client
        .get(format!("{native}/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("GET /me");
    let body: serde_json::Value = me.json().await.expect("JSON");
    assert_eq!(
        (body["user"].as_str(), body["visits"].as_u64()),
        (Some("ann"), Some(1))
    );
}
