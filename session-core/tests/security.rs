//! Attacks on the manager's request flow, each against the defence that stops it: revoked
//! stateless tokens, credentials echoed where scripts read them, credentials made for another
//! purpose, logouts lost to an error, secrets and data in logs.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::{LogStore, NOW, SECRET};
use futures_util::FutureExt;
use session_core::{
    Claims, Config, ConfigBuilder, ConfigError, EncryptedFormat, JwtFormat, Opened, Record, Secure,
    Session, SessionManager, SessionState, SignedFormat, StatelessKeys, Store, TokenFormat,
    TokenHeader,
};
use time::OffsetDateTime;

const MINUTE: time::Duration = time::Duration::MINUTE;
const DAY: time::Duration = time::Duration::DAY;

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    f.now_or_never().expect("the test store never waits")
}

fn config(f: impl FnOnce(ConfigBuilder) -> ConfigBuilder) -> Config {
    f(Config::builder().secret(SECRET)).build().unwrap()
}

fn request(
    m: &SessionManager,
    headers: &[(&str, &str)],
    peer: Option<IpAddr>,
    now: OffsetDateTime,
) -> Session {
    common::request_with(m, headers, peer, false, now)
}

fn begin(m: &SessionManager, cookie: Option<&str>, now: OffsetDateTime) -> Session {
    match cookie {
        Some(cookie) => request(m, &[("cookie", cookie)], None, now),
        None => request(m, &[], None, now),
    }
}

/// `name=value` of a Set-Cookie header.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

fn user_at(m: &SessionManager, cookie: &str, now: OffsetDateTime) -> Option<String> {
    let s = begin(m, Some(cookie), now);
    run(s.get::<String>("user")).unwrap()
}

type MakeManager = Box<dyn Fn() -> SessionManager>;

fn formats() -> Vec<(&'static str, MakeManager)> {
    fn with(format: impl TokenFormat + Clone, revoked: LogStore) -> SessionManager {
        let config = config(|b| {
            b.idle_timeout(Duration::from_secs(30 * 60))
                .secure(Secure::Never)
        });
        SessionManager::stateless_with_revocations(config, format, revoked)
    }
    let keys = || StatelessKeys::new([SECRET]).unwrap();
    vec![
        (
            "jwt",
            Box::new(move || with(JwtFormat::new(keys()), LogStore::default())),
        ),
        (
            "signed",
            Box::new(move || with(SignedFormat::new(keys()), LogStore::default())),
        ),
        (
            "encrypted",
            Box::new(move || with(EncryptedFormat::new(keys()), LogStore::default())),
        ),
    ]
}

/// A session of ann's with "remember me" for 30 days, started at `NOW`; its cookie pair.
fn remembered_login(m: &SessionManager) -> String {
    let s = begin(m, None, NOW);
    run(s.insert("user", "ann")).unwrap();
    run(s.set_max_age(Some(Duration::from_secs(30 * 86_400)))).unwrap();
    pair(run(m.finish(s, 200, NOW)).unwrap().set_cookie().unwrap())
}

/// Idle timeout 30 min, "remember me" for 30 days, logout by `destroy` (with no read) at
/// +1 min: a stolen copy of the token stays refused until it would have expired, leeway
/// included, whatever the handler did before destroying.
#[test]
fn a_revocation_outlasts_the_revoked_token_in_every_format() {
    for (name, make) in formats() {
        let m = make();
        let stolen = remembered_login(&m);
        assert_eq!(user_at(&m, &stolen, NOW).as_deref(), Some("ann"), "{name}");

        // Logout: the handler shortens the session first, then destroys it unread.
        let s = begin(&m, Some(&stolen), NOW + MINUTE);
        s.destroy();
        let out = run(m.finish(s, 200, NOW + MINUTE)).unwrap();
        assert!(out.set_cookie().unwrap().contains("Max-Age=0"), "{name}");

        let expiry = NOW + 30 * DAY;
        for at in [
            NOW + 2 * MINUTE,
            NOW + 31 * MINUTE,
            NOW + 32 * MINUTE,
            NOW + 7 * DAY,
            expiry - time::Duration::SECOND,
            expiry + time::Duration::SECOND,
            expiry + 59 * time::Duration::SECOND,
        ] {
            assert_eq!(user_at(&m, &stolen, at), None, "{name} at {at}");
        }
    }
}

/// The same with the handler shortening the session's lifetime before logging out: the
/// revocation is taken from the token as it arrived.
#[test]
fn a_revocation_ignores_what_the_handler_changed_before_destroying() {
    for (name, make) in formats() {
        let m = make();
        let stolen = remembered_login(&m);
        let s = begin(&m, Some(&stolen), NOW + MINUTE);
        run(s.set_max_age(Some(Duration::from_secs(60)))).unwrap();
        s.destroy();
        let _ = run(m.finish(s, 200, NOW + MINUTE)).unwrap();
        assert_eq!(user_at(&m, &stolen, NOW + 7 * DAY), None, "{name}");
    }
}

#[test]
fn the_token_header_never_echoes_an_http_only_cookie() {
    let store = LogStore::default();
    let named = || TokenHeader::Named("x-session-token".into());
    let m = SessionManager::new(config(|b| b.token_header(named())), store.clone());
    // A browser: no header credential, so the cookie only.
    let s = begin(&m, None, NOW);
    run(s.insert("user", "ann")).unwrap();
    let out = run(m.finish(s, 200, NOW)).unwrap();
    let cookie = pair(out.set_cookie().unwrap());
    assert_eq!(out.token(), None);
    let s = begin(&m, Some(&cookie), NOW);
    run(s.regenerate()).unwrap();
    let out = run(m.finish(s, 200, NOW)).unwrap();
    assert!(out.set_cookie().is_some());
    assert_eq!(out.token(), None, "a browser's new id stays in the cookie");

    // An API client that sent its token in the header gets the new one there.
    let token = cookie.trim_start_matches("id=").to_owned();
    let s = request(&m, &[("x-session-token", &token)], None, NOW);
    run(s.regenerate()).unwrap();
    let out = run(m.finish(s, 200, NOW)).unwrap();
    assert_eq!(out.token().map(|(name, _)| name), Some("x-session-token"));

    // With cookies off the header is the only transport.
    let m = SessionManager::new(
        config(|b| b.cookie_transport(false).token_header(named())),
        store,
    );
    let s = begin(&m, None, NOW);
    run(s.insert("user", "ann")).unwrap();
    let out = run(m.finish(s, 200, NOW)).unwrap();
    assert!(out.token().is_some());
    assert_eq!(out.set_cookie(), None);
}

/// A value signed with the cookie key but holding something other than an id (a JWT
/// reshaped as `s:<header.claims>.<mac>`, say) is refused before the store is asked.
#[test]
fn a_signed_value_not_shaped_like_an_id_never_reaches_the_store() {
    let store = LogStore::default();
    let m = SessionManager::new(config(|b| b), store.clone());
    let long = "eyJhbGciOiJIUzI1NiJ9.".repeat(9);
    let signed = m.config().keyring().sign(&long);
    let cookie = format!("id={}", urlencode(&signed));
    assert_eq!(user_at(&m, &cookie, NOW), None);
    assert!(
        store.take_log().is_empty(),
        "no store call for a foreign id"
    );

    // A generated id's shape goes through; so does any shape when configured.
    let good = m
        .config()
        .keyring()
        .sign("ABCDEFGHIJKLMNOPQRSTUVWXYZabcd-_");
    assert_eq!(user_at(&m, &format!("id={}", urlencode(&good)), NOW), None);
    assert_eq!(store.take_log(), ["load"]);
    let m = SessionManager::new(config(|b| b.foreign_ids(true)), store.clone());
    assert_eq!(
        user_at(&m, &format!("id={}", urlencode(&signed)), NOW),
        None
    );
    assert_eq!(store.take_log(), ["load"]);
}

fn urlencode(value: &str) -> String {
    let mut out = String::new();
    session_core::encode_uri_component_into(value, &mut out);
    out
}

#[test]
fn a_legacy_secret_signs_only_when_asked_to() {
    let refused = Config::builder().legacy_secret("keyboard cat").build();
    assert_eq!(refused.unwrap_err(), ConfigError::LegacySecretSigns);
    let refused = Config::builder()
        .legacy_secret("keyboard cat")
        .secret(SECRET)
        .build();
    assert_eq!(refused.unwrap_err(), ConfigError::LegacySecretSigns);
    // Behind a strong secret it only verifies; alone it signs when asked to.
    assert!(Config::builder()
        .secret(SECRET)
        .legacy_secret("keyboard cat")
        .build()
        .is_ok());
    assert!(Config::builder()
        .legacy_secret("keyboard cat")
        .sign_with_legacy_secret()
        .build()
        .is_ok());
}

/// `Secure::Auto` trusts `X-Forwarded-Proto` from a configured proxy, also when a dual-stack
/// listener reports the proxy's IPv4 address as IPv4-mapped IPv6.
#[test]
fn secure_auto_trusts_a_proxy_seen_as_ipv4_mapped_ipv6() {
    let m = SessionManager::new(
        config(|b| b.secure(Secure::Auto).trusted_proxy("10.0.0.0/8")),
        LogStore::default(),
    );
    let secure_for = |peer: &str| {
        let peer: IpAddr = peer.parse().unwrap();
        let s = request(&m, &[("x-forwarded-proto", "https")], Some(peer), NOW);
        run(s.insert("user", "ann")).unwrap();
        let out = run(m.finish(s, 200, NOW)).unwrap();
        out.set_cookie().unwrap().contains("; Secure")
    };
    assert!(secure_for("10.0.0.5"));
    assert!(secure_for("::ffff:10.0.0.5"));
    assert!(!secure_for("::ffff:11.0.0.5"));
    assert!(!secure_for("192.0.2.1"));
}

#[test]
fn a_destroy_takes_effect_on_a_server_error() {
    let store = LogStore::default();
    let m = SessionManager::new(config(|b| b), store.clone());
    let s = begin(&m, None, NOW);
    run(s.insert("user", "ann")).unwrap();
    let cookie = pair(run(m.finish(s, 200, NOW)).unwrap().set_cookie().unwrap());
    store.take_log();
    for loaded in [false, true] {
        let s = begin(&m, Some(&cookie), NOW);
        if loaded {
            run(s.get::<String>("user")).unwrap();
        }
        s.destroy();
        let out = run(m.finish(s, 500, NOW)).unwrap();
        assert!(out.set_cookie().unwrap().contains("Max-Age=0"));
    }
    assert!(store.take_log().contains(&"delete".to_owned()));
    assert_eq!(user_at(&m, &cookie, NOW), None);
}

#[test]
fn debug_output_holds_no_secret_and_no_session_data() {
    let builder = Config::builder()
        .secret(SECRET)
        .legacy_secret("keyboard cat");
    let printed = format!("{builder:?}");
    assert!(!printed.contains(SECRET) && !printed.contains("keyboard"));
    assert!(
        !printed.contains("48, 49, 50"),
        "no secret bytes: {printed}"
    );

    let mut data = serde_json::Map::new();
    data.insert("card".into(), "4111 1111 1111 1111".into());
    let state = SessionState {
        data,
        created_at: NOW,
        max_age: None,
    };
    let claims = Claims {
        id: session_core::SessionId::parse("ABCDEFGHIJKLMNOPQRSTUVWXYZabcd-_").unwrap(),
        state: state.clone(),
        expires_at: NOW,
        issued_at: NOW,
    };
    let opened = Opened {
        claims: claims.clone(),
        key_index: 0,
    };
    for printed in [
        format!("{state:?}"),
        format!("{claims:?}"),
        format!("{opened:?}"),
    ] {
        assert!(!printed.contains("4111"), "{printed}");
        assert!(!printed.contains("ABCDEFGH"), "{printed}");
    }
}

/// serde_json reads `{"$serde_json::private::RawValue": "<json>"}` as `<json>` when a crate
/// in the build turns on its `raw_value` feature: such keys are refused when written, and a
/// record holding one (written by another application) is not loaded.
#[test]
fn serde_private_keys_never_change_what_loads() {
    let store = LogStore::default();
    let m = SessionManager::new(config(|b| b), store.clone());
    let s = begin(&m, None, NOW);
    let nested = serde_json::json!({"$serde_json::private::RawValue": "{\"role\":\"admin\"}"});
    assert!(run(s.insert("profile", &nested)).is_err());
    assert!(run(s.insert("list", serde_json::json!([{"a": nested}]))).is_err());
    assert!(run(s.insert("$serde_json::private::Number", "1")).is_err());
    run(s.insert("user", "ann")).unwrap();
    let cookie = pair(run(m.finish(s, 200, NOW)).unwrap().set_cookie().unwrap());
    assert_eq!(user_at(&m, &cookie, NOW).as_deref(), Some("ann"));

    // The same key written into the record by someone else: a new session.
    let id = store.records.lock().unwrap().keys().next().unwrap().clone();
    let payload = format!(
        r#"{{"d":{{"user":"ann","p":{{"$serde_json::private::RawValue":"{{\"role\":\"admin\"}}"}}}},"c":{}}}"#,
        session_core::unix_millis(NOW)
    );
    let record = Record::new(payload.into_bytes(), NOW + DAY, 2);
    store.records.lock().unwrap().insert(id, record);
    let s = begin(&m, Some(&cookie), NOW);
    assert_eq!(run(s.get::<serde_json::Value>("p")).unwrap(), None);
}

/// A format whose tokens grow after the first: re-issuing on a read would cross the limit.
#[derive(Clone)]
struct Growing(JwtFormat);

impl TokenFormat for Growing {
    fn issue(
        &self,
        claims: &Claims,
        cookie_name: &str,
    ) -> Result<String, session_core::CodecError> {
        let token = self.0.issue(claims, cookie_name)?;
        Ok(if claims.issued_at > NOW {
            format!("{token}{}", "x".repeat(4096))
        } else {
            token
        })
    }
    fn open(&self, token: &str, cookie_name: &str, now: OffsetDateTime) -> Option<Opened> {
        self.0.open(token, cookie_name, now)
    }
}

/// A read that re-issues (rolling) a token whose new form is too large keeps the old token
/// and answers normally; only a write that does not fit is an error.
#[test]
fn a_reissue_over_the_size_limit_keeps_the_old_token() {
    let format = Growing(JwtFormat::new(StatelessKeys::new([SECRET]).unwrap()));
    let m = SessionManager::stateless(config(|b| b.rolling(true)), format);
    let s = begin(&m, None, NOW);
    run(s.insert("user", "ann")).unwrap();
    let cookie = pair(run(m.finish(s, 200, NOW)).unwrap().set_cookie().unwrap());
    let later = NOW + MINUTE;
    let s = begin(&m, Some(&cookie), later);
    assert_eq!(
        run(s.get::<String>("user")).unwrap().as_deref(),
        Some("ann")
    );
    let out = run(m.finish(s, 200, later)).unwrap();
    assert_eq!(out.set_cookie(), None, "the old token stays");
    let s = begin(&m, Some(&cookie), later);
    run(s.insert("user", "bob")).unwrap();
    let err = run(m.finish(s, 200, later)).unwrap_err();
    assert!(matches!(err, session_core::SessionError::TooLarge { .. }));
}

#[test]
fn revoke_owned_ends_only_the_owners_session() {
    let store = LogStore::default();
    let m = SessionManager::new(config(|b| b), store.clone());
    let s = begin(&m, None, NOW);
    run(s.insert("theme", "dark")).unwrap();
    run(s.set_user(Some("ann"))).unwrap();
    let _ = run(m.finish(s, 200, NOW)).unwrap();
    let id = store.records.lock().unwrap().keys().next().unwrap().clone();
    let id = session_core::SessionId::parse(&id).unwrap();
    assert!(!run(m.revoke_owned("bob", &id, NOW)).unwrap());
    assert!(run(store.load(&id, NOW)).unwrap().is_some());
    assert!(run(m.revoke_owned("ann", &id, NOW)).unwrap());
    assert!(run(store.load(&id, NOW)).unwrap().is_none());
}
