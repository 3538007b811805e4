//! Errors become statuses, never panics.

use session_core::{Config, Secure, SessionManager};
use session_stores::MemoryStore;
use session_tests::support::Instrumented;
use session_warp::{Session, SessionError, Sessions};

fn sessions(store: Instrumented<MemoryStore>) -> Sessions {
    let config = Config::builder()
        .secret("a secret of at least thirty-two bytes!!")
        .secure(Secure::Never)
        .build()
        .unwrap();
    Sessions::new(SessionManager::new(config, store))
}

#[tokio::test]
async fn a_store_down_while_saving_is_a_503_without_a_cookie() {
    let store = Instrumented::new(MemoryStore::new());
    store.set_failing(true);
    let route = sessions(store.clone()).handle(|session: Session| async move {
        session.insert("user", "ann").await.unwrap();
        "ok"
    });
    let res = warp::test::request().reply(&route).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().get("set-cookie").is_none());
    assert!(res.body().is_empty());
    assert_eq!(store.calls(), 1, "one failed create");
    assert!(store.inner().is_empty());
}

#[tokio::test]
async fn a_store_down_while_loading_is_a_503_from_the_handler() {
    let store = Instrumented::new(MemoryStore::new());
    let route = sessions(store.clone()).handle(|session: Session| async move {
        match session.get::<String>("user").await {
            Ok(user) => Ok(user.unwrap_or_default()),
            Err(e) => Err(SessionError::from(e)),
        }
    });
    let write = sessions(store.clone()).handle(|session: Session| async move {
        session.insert("user", "ann").await.unwrap();
        "ok"
    });
    let res = warp::test::request().reply(&write).await;
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    store.set_failing(true);
    let res = warp::test::request()
        .header("cookie", &cookie)
        .reply(&route)
        .await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().get("set-cookie").is_none());
}
