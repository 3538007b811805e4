//! Runs the `stateless_jwt` example's application on loopback: login answers with a JWT in
//! `X-Session-Token`, and the token alone (no cookie, nothing stored) carries the session.

use std::net::Ipv4Addr;

use serde_json::{json, Value};
use session_axum::{Config, JwtFormat, SessionManager, TokenHeader};

async fn start() -> String {
    let config = Config::builder()
        .secret("a test secret of at least thirty-two bytes")
        .cookie_transport(false)
        .token_header(TokenHeader::Bearer)
        .build()
        .expect("config");
    let manager = SessionManager::builder(config)
        .stateless(JwtFormat::new)
        .build()
        .expect("manager");
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let app = session_examples::stateless_jwt::app(manager);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn login_returns_a_token_that_carries_the_session() {
    let base = start().await;
    let client = reqwest::Client::new();

    let anonymous = client.get(format!("{base}/me")).send().await.expect("GET");
    assert_eq!(anonymous.status(), 401);

    let login = client
        .post(format!("{base}/login"))
        .json(&json!({ "name": "ann" }))
        .send()
        .await
        .expect("POST /login");
    assert_eq!(login.status(), 200);
    assert!(login.headers().get("set-cookie").is_none(), "no cookie");
    let token = login.headers()["x-session-token"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert_eq!(token.matches('.').count(), 2, "a compact JWT: {token}");
    let body: Value = login.json().await.expect("JSON");
    assert_eq!(body, json!({ "name": "ann" }));

    let me = client
        .get(format!("{base}/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET /me");
    assert_eq!(me.status(), 200);
    let body: Value = me.json().await.expect("JSON");
    assert_eq!(body, json!({ "name": "ann" }));

    // A token changed by a single character is refused.
    let mut forged = token.into_bytes();
    let last = forged.len() - 1;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).expect("ASCII");
    let me = client
        .get(format!("{base}/me"))
        .bearer_auth(forged)
        .send()
        .await
        .expect("GET /me");
    assert_eq!(me.status(), 401);
}
