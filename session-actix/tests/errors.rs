//! Errors become statuses, never panics.

use actix_web::{test, web, App, HttpResponse};
use session_actix::{Session, SessionError, SessionMiddleware};
use session_core::{Config, Secure, SessionManager};
use session_stores::MemoryStore;
use session_tests::support::Instrumented;

async fn write(session: Session) -> Result<HttpResponse, SessionError> {
    session.insert("user", "ann").await?;
    Ok(HttpResponse::Ok().finish())
}

fn manager(store: Instrumented<MemoryStore>) -> SessionManager {
    let config = Config::builder()
        .secret("a secret of at least thirty-two bytes!!")
        .secure(Secure::Never)
        .build()
        .unwrap();
    SessionManager::new(config, store)
}

#[actix_web::test]
async fn the_extractor_without_the_middleware_is_a_500() {
    let app = test::init_service(App::new().route("/", web::get().to(write))).await;
    let res = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
    assert_eq!(res.status(), 500);
}

#[actix_web::test]
async fn a_store_down_while_saving_is_a_503_without_a_cookie() {
    let store = Instrumented::new(MemoryStore::new());
    store.set_failing(true);
    let app = test::init_service(
        App::new()
            .wrap(SessionMiddleware::new(manager(store.clone())))
            .route("/", web::get().to(write)),
    )
    .await;
    let res = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().get("set-cookie").is_none());
    assert_eq!(store.calls(), 1, "one failed create");
    assert!(store.inner().is_empty());
}
