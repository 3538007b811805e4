//! Errors become statuses, never panics.

use salvo::prelude::*;
use salvo::test::{ResponseExt, TestClient};
use session_core::{Config, Secure, SessionManager};
use session_salvo::{Session, SessionError, SessionMiddleware};
use session_stores::MemoryStore;
use session_tests::support::Instrumented;

#[handler]
async fn write(session: Session) -> Result<&'static str, SessionError> {
    session.insert("user", "ann").await?;
    Ok("ok")
}

#[handler]
async fn write_then_fail(session: Session) -> Result<&'static str, StatusError> {
    session
        .insert("user", "ann")
        .await
        .map_err(|_| StatusError::internal_server_error())?;
    Err(StatusError::not_found())
}

/// Hands the session to the response body, which writes to it once the response is sent.
#[handler]
async fn stream(session: Session, res: &mut Response) {
    res.stream(futures_util::stream::once(async move {
        let late = match session.insert("late", true).await {
            Err(session_core::SessionError::Finished) => "finished",
            _ => "accepted",
        };
        Ok::<_, std::io::Error>(late)
    }));
}

fn manager(store: Instrumented<MemoryStore>) -> SessionManager {
    let config = Config::builder()
        .secret("a secret of at least thirty-two bytes!!")
        .secure(Secure::Never)
        .build()
        .unwrap();
    SessionManager::new(config, store)
}

#[tokio::test]
async fn the_extractor_without_the_hoop_is_a_500() {
    let service = Service::new(Router::new().get(write));
    let res = TestClient::get("http://127.0.0.1/").send(&service).await;
    assert_eq!(res.status_code, Some(StatusCode::INTERNAL_SERVER_ERROR));
}

#[tokio::test]
async fn a_store_down_while_saving_is_a_503_without_a_cookie() {
    let store = Instrumented::new(MemoryStore::new());
    store.set_failing(true);
    let router = Router::new()
        .hoop(SessionMiddleware::new(manager(store.clone())))
        .get(write);
    let res = TestClient::get("http://127.0.0.1/")
        .send(&Service::new(router))
        .await;
    assert_eq!(res.status_code, Some(StatusCode::SERVICE_UNAVAILABLE));
    assert!(res.headers().get("set-cookie").is_none());
    assert_eq!(store.calls(), 1, "one failed create");
    assert!(store.inner().is_empty());
}

#[tokio::test]
async fn a_handler_error_is_answered_with_the_session_saved() {
    let store = Instrumented::new(MemoryStore::new());
    let router = Router::new()
        .hoop(SessionMiddleware::new(manager(store.clone())))
        .get(write_then_fail);
    let res = TestClient::get("http://127.0.0.1/")
        .send(&Service::new(router))
        .await;
    assert_eq!(res.status_code, Some(StatusCode::NOT_FOUND));
    assert!(res.headers().get("set-cookie").is_some());
    assert_eq!(store.inner().len(), 1);
}

#[tokio::test]
async fn a_body_that_outlives_the_handler_finds_the_session_finished() {
    let store = Instrumented::new(MemoryStore::new());
    let router = Router::new()
        .hoop(SessionMiddleware::new(manager(store.clone())))
        .get(stream);
    let mut res = TestClient::get("http://127.0.0.1/")
        .send(&Service::new(router))
        .await;
    assert_eq!(res.take_string().await.unwrap(), "finished");
    assert_eq!(store.calls(), 0);
}
