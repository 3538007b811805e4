//! The layer around a tower service that answers as tonic's generated servers do.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http::{HeaderValue, Request, Response};
use session_tests::support::Instrumented;
use session_tonic::{
    Config, MemoryStore, Secure, Session, SessionError, SessionLayer, SessionManager, TokenHeader,
};
use tonic::body::Body;
use tonic::{Code, Status};
use tower::{Layer, ServiceExt};

const TOKEN: &str = "x-session-token";

fn manager(store: Instrumented<MemoryStore>) -> SessionManager {
    let config = Config::builder()
        .secret("a secret of at least thirty-two bytes!!")
        .cookie_transport(false)
        .token_header(TokenHeader::Named(TOKEN.into()))
        .build()
        .expect("a valid configuration");
    SessionManager::new(config, store)
}

/// What the service does with the session, by path.
async fn handle(request: tonic::Request<Body>, path: &str) -> Result<Response<Body>, Status> {
    let session = Session::from_request(&request)?;
    if let ("/hand-off", Some(later)) = (path, request.extensions().get::<Later>()) {
        // Untouched here, used only by what outlives the call.
        *later.0.lock().expect("not poisoned") = Some(session);
        return Ok(Response::new(Body::default()));
    }
    let count: u64 = session
        .get("count")
        .await
        .map_err(SessionError::from)?
        .unwrap_or(0)
        + 1;
    session
        .insert("count", count)
        .await
        .map_err(SessionError::from)?;
    match path {
        "/internal" => return Err(Status::internal("failed after writing")),
        "/not-found" => return Err(Status::not_found("written, then not found")),
        "/stream" => {
            if let Some(later) = request.extensions().get::<Later>() {
                *later.0.lock().expect("not poisoned") = Some(Session::from_request(&request)?);
            }
        }
        _ => {}
    }
    let mut response = Response::new(Body::default());
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/grpc"));
    response.headers_mut().insert("count", count.into());
    Ok(response)
}

/// Where `/stream` leaves its session, as a stream it returned would hold it.
#[derive(Clone, Default)]
struct Later(Arc<Mutex<Option<Session>>>);

async fn call(
    layer: &SessionLayer,
    path: &str,
    token: Option<&str>,
    later: Option<Later>,
) -> Response<Body> {
    let service = tower::service_fn(|req: Request<Body>| async move {
        let path = req.uri().path().to_owned();
        let response = handle(tonic::Request::from_http(req), &path).await;
        Ok::<_, Infallible>(response.unwrap_or_else(Status::into_http))
    });
    let mut req = Request::builder().uri(path);
    if let Some(token) = token {
        req = req.header(TOKEN, token);
    }
    let mut req = req.body(Body::default()).expect("a valid request");
    if let Some(later) = later {
        req.extensions_mut().insert(later);
    }
    match layer.layer(service).oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

fn header<'r>(response: &'r Response<Body>, name: &str) -> Option<&'r str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn a_token_comes_back_in_the_metadata_and_continues_the_session() {
    let layer = SessionLayer::new(manager(Instrumented::new(MemoryStore::new())));
    let first = call(&layer, "/count", None, None).await;
    assert_eq!(header(&first, "count"), Some("1"));
    let token = header(&first, TOKEN)
        .expect("a new session's token")
        .to_owned();
    assert!(token.starts_with("s%3A"), "{token}");
    let second = call(&layer, "/count", Some(&token), None).await;
    assert_eq!(header(&second, "count"), Some("2"));
    assert_eq!(header(&second, TOKEN), None, "the same token stays valid");
}

#[tokio::test]
async fn a_forged_token_starts_a_new_session() {
    let layer = SessionLayer::new(manager(Instrumented::new(MemoryStore::new())));
    for forged in ["garbage", "s%3Aabc.def", "s:", "%%%"] {
        let response = call(&layer, "/count", Some(forged), None).await;
        assert_eq!(header(&response, "count"), Some("1"), "{forged}");
        assert!(header(&response, TOKEN).is_some());
    }
}

#[tokio::test]
async fn a_server_error_saves_nothing_and_a_client_error_saves() {
    let store = Instrumented::new(MemoryStore::new());
    let layer = SessionLayer::new(manager(store.clone()));
    let failed = call(&layer, "/internal", None, None).await;
    assert_eq!(header(&failed, "grpc-status"), Some("13"));
    assert_eq!(header(&failed, TOKEN), None);
    assert!(store.inner().is_empty());
    let not_found = call(&layer, "/not-found", None, None).await;
    assert_eq!(header(&not_found, "grpc-status"), Some("5"));
    assert!(header(&not_found, TOKEN).is_some());
    assert!(!store.inner().is_empty());
}

#[tokio::test]
async fn a_store_down_while_saving_is_a_trailers_only_unavailable() {
    let store = Instrumented::new(MemoryStore::new());
    let layer = SessionLayer::new(manager(store.clone()));
    let token = call(&layer, "/count", None, None).await;
    let token = header(&token, TOKEN).expect("a token").to_owned();
    store.set_failing(true);
    for token in [None, Some(token.as_str())] {
        let response = call(&layer, "/count", token, None).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "content-type"), Some("application/grpc"));
        assert_eq!(header(&response, "grpc-status"), Some("14"));
        let message = header(&response, "grpc-message").expect("a message");
        assert!(message.contains("unavailable"), "{message}");
        assert_eq!(header(&response, TOKEN), None);
        let status = Status::from_header_map(response.headers()).expect("a status");
        assert_eq!(status.code(), Code::Unavailable);
    }
}

#[tokio::test]
async fn a_write_after_the_response_is_an_error_not_a_silent_loss() {
    let layer = SessionLayer::new(manager(Instrumented::new(MemoryStore::new())));
    let first = call(&layer, "/count", None, None).await;
    let token = header(&first, TOKEN).expect("a token").to_owned();
    for path in ["/stream", "/hand-off"] {
        let later = Later::default();
        let response = call(&layer, path, Some(&token), Some(later.clone())).await;
        assert_eq!(header(&response, "grpc-status"), None, "{path}");
        let session = later.0.lock().expect("not poisoned").take();
        let session = session.expect("the session the stream kept");
        let late = session.insert("count", 100).await;
        assert!(
            matches!(late, Err(session_core::SessionError::Finished)),
            "{path}: {late:?}"
        );
    }
    let next = call(&layer, "/count", Some(&token), None).await;
    assert_eq!(
        header(&next, "count"),
        Some("3"),
        "the late writes changed nothing"
    );
}

#[tokio::test]
async fn without_the_layer_the_session_is_an_internal_error() {
    let request = tonic::Request::new(());
    let error = Session::from_request(&request).expect_err("no layer");
    assert!(matches!(error, SessionError::NotInstalled));
    let status = Status::from(error);
    assert_eq!(status.code(), Code::Internal);
    assert!(status.message().contains("SessionLayer"));
}

#[tokio::test]
async fn serving_tls_marks_a_cookie_secure() {
    // A configuration that keeps cookies (gRPC-Web from a browser, say).
    let config = Config::builder()
        .secret("a secret of at least thirty-two bytes!!")
        .secure(Secure::Auto)
        .build()
        .expect("a valid configuration");
    let manager = SessionManager::new(config, MemoryStore::new());
    for tls in [false, true] {
        let layer = SessionLayer::new(manager.clone()).serving_tls(tls);
        let response = call(&layer, "/count", None, None).await;
        let cookie = header(&response, "set-cookie").expect("a cookie");
        assert_eq!(cookie.contains("; Secure"), tls, "{cookie}");
        assert_eq!(
            header(&response, TOKEN),
            None,
            "no header transport configured"
        );
    }
}
