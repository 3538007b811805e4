//! Errors become statuses, never panics.

use rocket::local::asynchronous::Client;
use session_core::{Config, Secure, SessionManager};
use session_rocket::{Session, SessionError, SessionFairing};
use session_stores::MemoryStore;
use session_tests::support::Instrumented;

#[rocket::get("/")]
async fn write(session: Session) -> Result<&'static str, SessionError> {
    session.insert("user", "ann").await?;
    Ok("ok")
}

fn manager(store: Instrumented<MemoryStore>) -> SessionManager {
    let config = Config::builder()
        .secret("a secret of at least thirty-two bytes!!")
        .secure(Secure::Never)
        .build()
        .unwrap();
    SessionManager::new(config, store)
}

#[rocket::async_test]
async fn the_guard_without_the_fairing_is_a_500() {
    let rocket = rocket::build().mount("/", rocket::routes![write]);
    let client = Client::untracked(rocket).await.unwrap();
    let res = client.get("/").dispatch().await;
    assert_eq!(res.status().code, 500);
}

#[rocket::async_test]
async fn a_store_down_while_saving_is_a_503_without_a_cookie() {
    let store = Instrumented::new(MemoryStore::new());
    store.set_failing(true);
    let rocket = rocket::build()
        .attach(SessionFairing::new(manager(store.clone())))
        .mount("/", rocket::routes![write]);
    let client = Client::untracked(rocket).await.unwrap();
    let res = client.get("/").dispatch().await;
    assert_eq!(res.status().code, 503);
    assert!(res.headers().get_one("Set-Cookie").is_none());
    assert_eq!(res.into_string().await.unwrap_or_default(), "");
    assert_eq!(store.calls(), 1, "one failed create");
    assert!(store.inner().is_empty());
}

#[rocket::async_test]
async fn a_second_fairing_fails_ignition() {
    let store = Instrumented::new(MemoryStore::new());
    let rocket = rocket::build()
        .attach(SessionFairing::new(manager(store.clone())))
        .attach(SessionFairing::new(manager(store)))
        .mount("/", rocket::routes![write]);
    let Err(error) = rocket.ignite().await else {
        panic!("a second fairing must fail ignition");
    };
    // Reading the kind marks Rocket's error handled (unhandled, it panics when dropped).
    assert!(matches!(
        error.kind(),
        rocket::error::ErrorKind::FailedFairings(failed) if failed[0].name == "session"
    ));
}
