//! The layer behind a real axum server on loopback, driven by a real HTTP client.

use std::net::SocketAddr;

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use session_axum::{Session, SessionError, SessionLayer};
use session_core::{Config, Secure, SessionManager};
use session_stores::MemoryStore;
use session_tests::support::{Instrumented, TestClock};

const SECRET: &str = "a secret of at least thirty-two bytes!!";

async fn count(session: Session) -> Result<String, SessionError> {
    let visits: u64 = session.get("visits").await?.unwrap_or(0) + 1;
    session.insert("visits", visits).await?;
    Ok(visits.to_string())
}

async fn untouched() -> &'static str {
    "no session here"
}

async fn extracted_but_unused(_session: Session) -> &'static str {
    "session extracted, never used"
}

async fn logout(session: Session) -> &'static str {
    session.destroy();
    "bye"
}

fn config(secure: Secure) -> Config {
    Config::builder()
        .secret(SECRET)
        .secure(secure)
        .trusted_proxy("127.0.0.1")
        .build()
        .unwrap()
}

fn routes() -> Router {
    Router::new()
        .route("/count", get(count))
        .route("/plain", get(untouched))
        .route("/extracted", get(extracted_but_unused))
        .route("/logout", post(logout))
}

/// Serves `app` on 127.0.0.1:0 with the peer address in `ConnectInfo`; returns its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    format!("http://{addr}")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn text(client: &reqwest::Client, url: &str) -> (u16, String) {
    let res = client.get(url).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn counter_grows_across_requests() {
    let manager = SessionManager::new(config(Secure::Auto), MemoryStore::new());
    let base = serve(routes().layer(SessionLayer::new(manager))).await;
    let client = client();
    for expected in 1..=3 {
        let (status, body) = text(&client, &format!("{base}/count")).await;
        assert_eq!((status, body), (200, expected.to_string()));
    }
    // Another client has its own session.
    assert_eq!(
        text(&reqwest::Client::new(), &format!("{base}/count"))
            .await
            .1,
        "1"
    );
}

#[tokio::test]
async fn untouched_session_sends_no_cookie_and_costs_no_store_call() {
    let store = Instrumented::new(MemoryStore::new());
    let manager = SessionManager::new(config(Secure::Auto), store.clone());
    let base = serve(routes().layer(SessionLayer::new(manager))).await;
    let client = client();

    let res = client.get(format!("{base}/plain")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("set-cookie").is_none());

    // With a live session cookie, neither a plain handler nor one that only extracts the
    // session reaches the store.
    assert_eq!(text(&client, &format!("{base}/count")).await.1, "1");
    let before = store.calls();
    assert!(before > 0);
    for path in ["/plain", "/extracted"] {
        let res = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers().get("set-cookie").is_none(), "{path}");
    }
    assert_eq!(store.calls(), before);
}

#[tokio::test]
async fn store_down_gives_503() {
    let store = Instrumented::new(MemoryStore::new());
    let manager = SessionManager::new(config(Secure::Auto), store.clone());
    let base = serve(routes().layer(SessionLayer::new(manager))).await;
    let client = client();
    assert_eq!(text(&client, &format!("{base}/count")).await.1, "1");

    store.set_failing(true);
    // Failing while the handler loads: the handler's `?` answers 503.
    let (status, body) = text(&client, &format!("{base}/count")).await;
    assert_eq!(status, 503);
    assert!(!body.contains("test"), "the cause must not leak: {body}");
    // Failing while the layer saves (destroy needs no load, only a delete): 503 as well.
    let res = client.post(format!("{base}/logout")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().get("set-cookie").is_none());

    store.set_failing(false);
    assert_eq!(text(&client, &format!("{base}/count")).await.1, "2");
}

#[derive(Clone)]
struct AppState {
    greeting: &'static str,
}

async fn greet(State(state): State<AppState>, session: Session) -> Result<String, SessionError> {
    let visits = count(session).await?;
    Ok(format!("{} #{visits}", state.greeting))
}

#[tokio::test]
async fn nested_router_with_state() {
    let api = Router::new()
        .route("/greet", get(greet))
        .with_state(AppState { greeting: "hello" });
    let app = Router::new()
        .nest("/api", api)
        .route("/plain", get(untouched));
    let manager = SessionManager::new(config(Secure::Auto), MemoryStore::new());
    let base = serve(app.layer(SessionLayer::new(manager))).await;
    let client = client();
    assert_eq!(
        text(&client, &format!("{base}/api/greet")).await.1,
        "hello #1"
    );
    assert_eq!(
        text(&client, &format!("{base}/api/greet")).await.1,
        "hello #2"
    );
}

#[tokio::test]
async fn missing_layer_is_a_clear_500() {
    let base = serve(routes()).await;
    let (status, body) = text(&client(), &format!("{base}/count")).await;
    assert_eq!(status, 500);
    assert!(body.contains("SessionLayer"), "{body}");
}

#[tokio::test]
async fn peer_address_reaches_the_core() {
    // 127.0.0.1 is a trusted proxy: its `X-Forwarded-Proto: https` makes the cookie Secure,
    // which only works if the layer passed the peer address from `ConnectInfo`.
    let manager = SessionManager::new(config(Secure::Auto), MemoryStore::new());
    let base = serve(routes().layer(SessionLayer::new(manager))).await;
    let client = reqwest::Client::new();
    let cookie = |res: &reqwest::Response| {
        let value = res.headers().get("set-cookie").unwrap().to_str().unwrap();
        value.to_owned()
    };
    let plain = client.get(format!("{base}/count")).send().await.unwrap();
    assert!(!cookie(&plain).contains("Secure"));
    let proxied = client
        .get(format!("{base}/count"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(cookie(&proxied).contains("Secure"));
}

#[tokio::test]
async fn clock_is_the_layers() {
    let clock = TestClock::new();
    let manager = SessionManager::new(config(Secure::Auto), MemoryStore::new());
    let layer = SessionLayer::new(manager).with_clock(clock.clone());
    let base = serve(routes().layer(layer)).await;
    let client = client();
    assert_eq!(text(&client, &format!("{base}/count")).await.1, "1");
    // The default lifetime is 24 h; past it by the layer's clock, the session is gone.
    clock.advance(std::time::Duration::from_secs(25 * 60 * 60));
    assert_eq!(text(&client, &format!("{base}/count")).await.1, "1");
}

/// A server that terminates TLS itself says so, and `Secure::Auto` then marks the cookie
/// `Secure` with no proxy header; by default the connection counts as plain HTTP.
#[tokio::test]
async fn serving_tls_makes_secure_auto_cookies_secure() {
    for (tls, secure) in [(false, false), (true, true)] {
        let config = Config::builder()
            .secret(SECRET)
            .secure(Secure::Auto)
            .build()
            .unwrap();
        let layer = SessionLayer::new(SessionManager::new(config, MemoryStore::new()));
        let base = serve(routes().layer(layer.serving_tls(tls))).await;
        let res = client().get(format!("{base}/count")).send().await.unwrap();
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert_eq!(cookie.contains("; Secure"), secure, "{cookie}");
    }
}

#[tokio::test]
async fn a_write_after_the_response_through_an_untouched_sessions_clone_is_refused() {
    let (sent, outcome) = tokio::sync::oneshot::channel();
    let sent = std::sync::Arc::new(std::sync::Mutex::new(Some(sent)));
    let late = move |session: Session| {
        let sent = sent.lock().unwrap().take();
        async move {
            // The handler never uses the session; a task writes to it once answered.
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                let result = session.insert("late", 1).await;
                if let Some(sent) = sent {
                    let _ = sent.send(result);
                }
            });
            "answered"
        }
    };
    let manager = SessionManager::new(config(Secure::Never), MemoryStore::new());
    let app = Router::new()
        .route("/late", get(late))
        .layer(SessionLayer::new(manager));
    let base = serve(app).await;
    let res = client().get(format!("{base}/late")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("set-cookie").is_none());
    let result = outcome.await.unwrap();
    assert!(
        matches!(result, Err(session_core::SessionError::Finished)),
        "{result:?}"
    );
}
