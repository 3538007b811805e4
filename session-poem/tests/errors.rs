//! Errors become statuses, never panics.

use poem::error::NotFoundError;
use poem::{get, handler, Body, Endpoint, EndpointExt, Request, Route};
use session_core::{Config, Secure, SessionManager};
use session_poem::{Session, SessionError, SessionMiddleware};
use session_stores::MemoryStore;
use session_tests::support::Instrumented;

#[handler]
async fn write(session: Session) -> Result<&'static str, SessionError> {
    session.insert("user", "ann").await?;
    Ok("ok")
}

#[handler]
async fn write_then_fail(session: Session) -> poem::Result<&'static str> {
    session
        .insert("user", "ann")
        .await
        .map_err(SessionError::from)?;
    Err(NotFoundError.into())
}

/// Hands the session to the response body, which writes to it once the response is sent.
#[handler]
fn stream(session: Session) -> Body {
    Body::from_bytes_stream(futures_util::stream::once(async move {
        let late = match session.insert("late", true).await {
            Err(session_core::SessionError::Finished) => "finished",
            _ => "accepted",
        };
        Ok::<_, std::io::Error>(late)
    }))
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
async fn the_extractor_without_the_middleware_is_a_500() {
    let app = Route::new().at("/", get(write));
    let res = app.get_response(Request::builder().finish()).await;
    assert_eq!(res.status(), 500);
}

#[tokio::test]
async fn a_store_down_while_saving_is_a_503_without_a_cookie() {
    let store = Instrumented::new(MemoryStore::new());
    store.set_failing(true);
    let app = Route::new()
        .at("/", get(write))
        .with(SessionMiddleware::new(manager(store.clone())));
    let res = app.get_response(Request::builder().finish()).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().get("set-cookie").is_none());
    assert_eq!(store.calls(), 1, "one failed create");
    assert!(store.inner().is_empty());
}

#[tokio::test]
async fn an_endpoint_error_is_answered_with_the_session_saved() {
    let store = Instrumented::new(MemoryStore::new());
    let app = Route::new()
        .at("/", get(write_then_fail))
        .with(SessionMiddleware::new(manager(store.clone())));
    let res = app.get_response(Request::builder().finish()).await;
    assert_eq!(res.status(), 404);
    assert!(res.headers().get("set-cookie").is_some());
    assert_eq!(store.inner().len(), 1);
}

#[tokio::test]
async fn a_route_that_never_takes_the_session_keeps_its_error() {
    let store = Instrumented::new(MemoryStore::new());
    let app = Route::new()
        .at("/", get(write))
        .with(SessionMiddleware::new(manager(store.clone())));
    let err = app
        .call(Request::builder().uri_str("/nowhere").finish())
        .await
        .expect_err("no route");
    assert!(err.is::<NotFoundError>());
    assert_eq!(store.calls(), 0);
}

#[tokio::test]
async fn a_body_that_outlives_the_handler_finds_the_session_finished() {
    let store = Instrumented::new(MemoryStore::new());
    let app = Route::new()
        .at("/", get(stream))
        .with(SessionMiddleware::new(manager(store.clone())));
    let res = app.get_response(Request::builder().finish()).await;
    assert_eq!(res.into_body().into_string().await.unwrap(), "finished");
    assert_eq!(store.calls(), 0);
}
