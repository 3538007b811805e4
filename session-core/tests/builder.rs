//! Putting a manager together: what the builder accepts and what it refuses.

mod common;

use common::{LogStore, NOW, SECRET};
use futures_util::FutureExt;
use session_core::{
    Config, ConfigError, EncryptedFormat, HttpRequest, JsonCodec, JwtFormat, SessionManager,
    SignedFormat, StatelessKeys, TokenFormat,
};

fn config() -> Config {
    Config::builder().secret(SECRET).build().unwrap()
}

#[test]
fn the_builder_refuses_what_cannot_work() {
    let refusal = |b: session_core::SessionManagerBuilder| match b.build() {
        Err(ConfigError::Backend(why)) => why,
        other => panic!("{other:?}"),
    };
    assert!(refusal(SessionManager::builder(config())).contains(".store(..)"));
    let both = SessionManager::builder(config())
        .store(LogStore::default())
        .stateless(JwtFormat::new);
    assert!(refusal(both).contains("choose one"));
    let revocations = SessionManager::builder(config())
        .store(LogStore::default())
        .revocations(LogStore::default());
    assert!(refusal(revocations).contains(".revocations"));
    let codec = SessionManager::builder(config())
        .stateless(SignedFormat::new)
        .codec(JsonCodec);
    assert!(refusal(codec).contains("codec"));
    // A token binds no user, so a credential hash would never be checked.
    let auth = SessionManager::builder(config())
        .stateless(JwtFormat::new)
        .auth_hash(|_user| async { Ok(None) });
    assert!(refusal(auth).contains(".auth_hash(..)"));
    // Stateless tokens need a strong secret; legacy ones only verify cookies.
    let legacy = Config::builder()
        .legacy_secret("keyboard cat")
        .sign_with_legacy_secret()
        .build()
        .unwrap();
    let err = SessionManager::builder(legacy)
        .stateless(JwtFormat::new)
        .build()
        .unwrap_err();
    assert_eq!(err, ConfigError::NoStrongSecret);
}

/// A token the manager issued, opened by `format` built by hand from the same secrets.
fn opens_by_hand<F: TokenFormat>(make: fn(StatelessKeys) -> F) {
    let manager = SessionManager::builder(config())
        .stateless(make)
        .build()
        .unwrap();
    let headers = http::HeaderMap::new();
    let request = HttpRequest {
        headers: &headers,
        peer: None,
        tls: true,
    };
    let s = manager.begin(&request, NOW);
    s.insert("user", "ann").now_or_never().unwrap().unwrap();
    let out = manager.finish(s, 200, NOW).now_or_never().unwrap().unwrap();
    let pair = out.set_cookie().unwrap().split(';').next().unwrap();
    let token = session_core::decode_uri_component(pair.trim_start_matches("id=")).unwrap();
    let by_hand = make(StatelessKeys::new([SECRET]).unwrap());
    let opened = by_hand.open(&token, "id", NOW).expect("same keys");
    assert_eq!(opened.claims.state.data["user"], "ann");
}

/// The configuration's secrets key the stateless formats: one list of secrets.
#[test]
fn stateless_formats_take_the_configurations_secrets() {
    opens_by_hand(JwtFormat::new);
    opens_by_hand(SignedFormat::new);
    opens_by_hand(EncryptedFormat::new);
}

#[test]
fn the_manager_is_reachable_from_its_sessions() {
    let manager = SessionManager::builder(config())
        .store(LogStore::default())
        .build()
        .unwrap();
    let headers = http::HeaderMap::new();
    let request = HttpRequest {
        headers: &headers,
        peer: None,
        tls: true,
    };
    let s = manager.begin(&request, NOW);
    assert_eq!(s.manager().config().cookie_name(), "id");
    assert!(s.manager().store().is_some());
}
