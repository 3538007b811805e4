//! The login kit in the core: typed values, login with an auth hash (a password change ends
//! the user's other sessions), CSRF tokens and flash messages, through the manager's whole
//! request flow.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use common::{LogStore, NOW, SECRET};
use futures_util::FutureExt;
use serde::{Deserialize, Serialize};
use session_core::{
    Config, CsrfError, FlashLevel, HttpRequest, Session, SessionError, SessionManager,
    SessionValue, StoreError, StoreErrorKind,
};

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    f.now_or_never()
        .expect("the test store and lookup never wait")
}

/// The users' current auth hashes, as the application keeps them.
type Hashes = Arc<Mutex<HashMap<String, Vec<u8>>>>;

fn manager(store: &LogStore, hashes: &Hashes) -> SessionManager {
    let config = Config::builder().secret(SECRET).build().unwrap();
    let hashes = hashes.clone();
    SessionManager::builder(config)
        .store(store.clone())
        .auth_hash(move |user| {
            let hash = hashes.lock().unwrap().get(&user).cloned();
            async move {
                match hash.as_deref() {
                    Some(b"down") => Err(StoreError::from_kind(StoreErrorKind::Unavailable)),
                    _ => Ok(hash),
                }
            }
        })
        .build()
        .unwrap()
}

/// A browser: one cookie, kept from response to response.
struct Browser {
    cookie: Option<String>,
    /// The last `Set-Cookie` received.
    set_cookie: Option<String>,
}

impl Browser {
    fn new() -> Self {
        Self {
            cookie: None,
            set_cookie: None,
        }
    }

    /// One request: `handler` runs on the session, then the response's cookie is kept.
    fn request<T>(&mut self, m: &SessionManager, handler: impl FnOnce(&Session) -> T) -> T {
        let mut headers = http::HeaderMap::new();
        if let Some(cookie) = &self.cookie {
            headers.append(http::header::COOKIE, cookie.parse().unwrap());
        }
        let req = HttpRequest {
            headers: &headers,
            peer: None,
            tls: true,
        };
        let session = m.begin(&req, NOW);
        let out = handler(&session);
        let outcome = run(m.finish(session, 200, NOW)).unwrap();
        if let Some(set) = outcome.set_cookie() {
            self.set_cookie = Some(set.to_owned());
            let pair = set.split(';').next().unwrap().to_owned();
            self.cookie = (!pair.ends_with('=')).then_some(pair);
        }
        out
    }
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Default)]
struct Cart {
    items: Vec<String>,
}

impl SessionValue for Cart {
    const KEY: &'static str = "cart";
}

#[test]
fn typed_values_round_trip_and_a_mismatch_is_a_typed_error() {
    let (store, hashes) = (LogStore::default(), Hashes::default());
    let m = manager(&store, &hashes);
    let mut b = Browser::new();
    b.request(&m, |s| {
        let cart = Cart {
            items: vec!["book".into()],
        };
        run(s.set_typed(&cart)).unwrap();
    });
    let cart: Option<Cart> = b.request(&m, |s| run(s.get_typed()).unwrap());
    assert_eq!(cart.unwrap().items, ["book"]);
    // Another type under the same key.
    b.request(&m, |s| run(s.insert("cart", 42)).unwrap());
    let err = b.request(&m, |s| run(s.get_typed::<Cart>()).unwrap_err());
    assert!(matches!(err, SessionError::WrongType(_)), "{err:?}");
    assert_eq!(err.status(409), 400);
    let err = b.request(&m, |s| run(s.remove_typed::<Cart>()).unwrap_err());
    assert!(matches!(err, SessionError::WrongType(_)), "{err:?}");
    // Nothing stored is lost: the value of the other type is still there.
    assert_eq!(
        b.request(&m, |s| run(s.get::<u64>("cart")).unwrap()),
        Some(42)
    );
}

#[test]
fn a_password_change_ends_the_users_other_sessions_and_keeps_the_one_that_changed_it() {
    let (store, hashes) = (LogStore::default(), Hashes::default());
    hashes
        .lock()
        .unwrap()
        .insert("ann".into(), b"hash-1".to_vec());
    let m = manager(&store, &hashes);
    let (mut laptop, mut phone) = (Browser::new(), Browser::new());
    for browser in [&mut laptop, &mut phone] {
        browser.request(&m, |s| run(s.insert("theme", "dark")).unwrap());
        let before = browser.cookie.clone();
        browser.request(&m, |s| run(s.login("ann", b"hash-1")).unwrap());
        assert_ne!(browser.cookie, before, "login gives a new id");
    }
    // The password changes on the laptop: the application stores the new hash and logs the
    // laptop's session in again with it.
    hashes
        .lock()
        .unwrap()
        .insert("ann".into(), b"hash-2".to_vec());
    laptop.request(&m, |s| run(s.login("ann", b"hash-2")).unwrap());

    assert_eq!(
        laptop.request(&m, |s| run(s.user()).unwrap()).as_deref(),
        Some("ann")
    );
    // The phone's next request finds a new, empty session, and its old record is gone.
    let phone_cookie = phone.cookie.clone();
    let (user, theme) = phone.request(&m, |s| {
        (
            run(s.user()).unwrap(),
            run(s.get::<String>("theme")).unwrap(),
        )
    });
    assert_eq!((user, theme), (None, None));
    assert_eq!(
        phone_cookie, phone.cookie,
        "a read of the new empty session sends no cookie"
    );
    assert!(store.take_log().contains(&"delete".to_owned()));
    // Still the laptop's.
    assert_eq!(
        laptop.request(&m, |s| run(s.user()).unwrap()).as_deref(),
        Some("ann")
    );

    // A user that no longer exists is logged out too; a lookup that fails is a 503, and the
    // session is kept.
    hashes
        .lock()
        .unwrap()
        .insert("ann".into(), b"down".to_vec());
    let err = laptop.request(&m, |s| run(s.user()).unwrap_err());
    assert_eq!(err.status(409), 503);
    hashes
        .lock()
        .unwrap()
        .insert("ann".into(), b"hash-2".to_vec());
    assert_eq!(
        laptop.request(&m, |s| run(s.user()).unwrap()).as_deref(),
        Some("ann")
    );
    hashes.lock().unwrap().remove("ann");
    assert_eq!(laptop.request(&m, |s| run(s.user()).unwrap()), None);
}

#[test]
fn logout_deletes_the_session_and_what_follows_goes_into_a_new_one() {
    let (store, hashes) = (LogStore::default(), Hashes::default());
    hashes.lock().unwrap().insert("ann".into(), b"h".to_vec());
    let m = manager(&store, &hashes);
    let mut b = Browser::new();
    b.request(&m, |s| run(s.login("ann", b"h")).unwrap());
    assert!(b.cookie.is_some());
    b.request(&m, |s| run(s.logout()).unwrap());
    assert!(b.cookie.is_none(), "the cookie is cleared");
    assert!(store.records.lock().unwrap().is_empty());

    // With a goodbye message: the old record goes, the message is in a new session.
    b.request(&m, |s| {
        run(s.login("ann", b"h")).unwrap();
        run(s.set_max_age(Some(std::time::Duration::from_secs(86_400)))).unwrap();
    });
    let logged_in = b.cookie.clone();
    b.request(&m, |s| {
        run(s.logout()).unwrap();
        run(s.flash(FlashLevel::Info, "Logged out")).unwrap();
    });
    assert!(b.cookie.is_some() && b.cookie != logged_in, "a new session");
    assert!(
        b.set_cookie
            .as_deref()
            .is_some_and(|c| !c.contains("Max-Age")),
        "{:?}",
        b.set_cookie
    );
    assert_eq!(store.records.lock().unwrap().len(), 1);
    let (user, flashes) = b.request(&m, |s| {
        (run(s.user()).unwrap(), run(s.take_flashes()).unwrap())
    });
    assert_eq!(user, None);
    assert_eq!(flashes.len(), 1);
}

#[test]
fn csrf_tokens_are_masked_per_response_and_bound_to_the_session_and_its_login() {
    let (store, hashes) = (LogStore::default(), Hashes::default());
    hashes.lock().unwrap().insert("ann".into(), b"h".to_vec());
    let m = manager(&store, &hashes);
    let (mut mine, mut other) = (Browser::new(), Browser::new());
    let first = mine.request(&m, |s| run(s.csrf_token()).unwrap());
    let second = mine.request(&m, |s| run(s.csrf_token()).unwrap());
    assert_ne!(first, second, "masked afresh for every response");
    assert_eq!(first.len(), 86);
    let check = |b: &mut Browser, method: &str, token: Option<&str>| {
        b.request(&m, |s| run(s.check_csrf(method, token)).unwrap())
    };
    assert_eq!(check(&mut mine, "POST", Some(&first)), Ok(()));
    assert_eq!(check(&mut mine, "DELETE", Some(&second)), Ok(()));
    assert_eq!(
        check(&mut mine, "GET", None),
        Ok(()),
        "safe methods need none"
    );
    assert_eq!(check(&mut mine, "POST", None), Err(CsrfError::Missing));
    assert_eq!(check(&mut mine, "PUT", Some("")), Err(CsrfError::Missing));
    let forged = "A".repeat(86);
    assert_eq!(
        check(&mut mine, "POST", Some(&forged)),
        Err(CsrfError::Invalid)
    );
    assert_eq!(
        check(&mut mine, "POST", Some("not base64!")),
        Err(CsrfError::Invalid)
    );
    assert_eq!(
        check(&mut mine, "PATCH", Some(&first[..40])),
        Err(CsrfError::Invalid)
    );
    // Another session's token, replayed here, and a token for a session that has none.
    let theirs = other.request(&m, |s| run(s.csrf_token()).unwrap());
    assert_eq!(
        check(&mut mine, "POST", Some(&theirs)),
        Err(CsrfError::Invalid)
    );
    let mut fresh = Browser::new();
    assert_eq!(
        check(&mut fresh, "POST", Some(&first)),
        Err(CsrfError::Invalid)
    );
    // Login starts a new secret: tokens rendered before it are stale.
    mine.request(&m, |s| run(s.login("ann", b"h")).unwrap());
    assert_eq!(
        check(&mut mine, "POST", Some(&first)),
        Err(CsrfError::Invalid)
    );
    let after = mine.request(&m, |s| run(s.csrf_token()).unwrap());
    assert_eq!(check(&mut mine, "POST", Some(&after)), Ok(()));
}

#[test]
fn flashes_are_shown_once_and_reading_none_saves_nothing() {
    let (store, hashes) = (LogStore::default(), Hashes::default());
    let m = manager(&store, &hashes);
    let mut b = Browser::new();
    b.request(&m, |s| run(s.insert("n", 1)).unwrap());
    store.take_log();
    // No flash waiting: the session is read, nothing is written.
    let none = b.request(&m, |s| {
        let flashes = run(s.take_flashes()).unwrap();
        (flashes, s.is_modified())
    });
    assert_eq!(none, (vec![], false));
    assert_eq!(store.take_log(), ["load"]);

    b.request(&m, |s| {
        run(s.flash(FlashLevel::Success, "Signed in")).unwrap();
        run(s.flash(FlashLevel::Warning, "Check your e-mail")).unwrap();
    });
    let shown = b.request(&m, |s| run(s.take_flashes()).unwrap());
    let texts: Vec<_> = shown.iter().map(|f| (f.level, f.text.as_str())).collect();
    assert_eq!(
        texts,
        [
            (FlashLevel::Success, "Signed in"),
            (FlashLevel::Warning, "Check your e-mail")
        ]
    );
    assert!(
        b.request(&m, |s| run(s.take_flashes()).unwrap()).is_empty(),
        "shown once"
    );

    // Something else under the key: no messages, and the key is cleared.
    b.request(&m, |s| {
        run(s.insert(session_core::kit::FLASH_KEY, "junk")).unwrap()
    });
    assert!(b.request(&m, |s| run(s.take_flashes()).unwrap()).is_empty());
    let left = b.request(&m, |s| {
        run(s.get::<String>(session_core::kit::FLASH_KEY)).unwrap()
    });
    assert_eq!(left, None);

    // A list with a malformed message among good ones: the good ones are still shown.
    b.request(&m, |s| {
        let mixed = serde_json::json!([{"level": "info", "text": "kept"}, 7, {"text": 1}]);
        run(s.insert(session_core::kit::FLASH_KEY, mixed)).unwrap()
    });
    let shown = b.request(&m, |s| run(s.take_flashes()).unwrap());
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].text, "kept");
}

#[test]
fn auth_hash_needs_a_strong_secret() {
    let config = Config::builder()
        .legacy_secret("short")
        .sign_with_legacy_secret()
        .build()
        .expect("a legacy secret alone is a valid configuration");
    let built = SessionManager::builder(config)
        .store(LogStore::default())
        .auth_hash(|_| async { Ok(None) })
        .build();
    let Err(err) = built else {
        panic!("an auth-hash check without a strong secret was accepted")
    };
    let err = err.to_string();
    assert!(err.contains("secret"), "{err}");
}

/// Stateless sessions: the CSRF secret travels inside the signed (or encrypted) session
/// token, so the request's cookie and its submitted token are a signed double submit bound
/// to the session, with no server-side state.
#[test]
fn csrf_on_stateless_sessions_is_a_signed_double_submit() {
    for format in ["jwt", "signed", "encrypted"] {
        let config = Config::builder().secret(SECRET).build().unwrap();
        let builder = SessionManager::builder(config);
        let m = match format {
            "jwt" => builder.stateless(session_core::JwtFormat::new),
            "signed" => builder.stateless(session_core::SignedFormat::new),
            _ => builder.stateless(session_core::EncryptedFormat::new),
        }
        .build()
        .unwrap();
        let (mut mine, mut other) = (Browser::new(), Browser::new());
        let token = mine.request(&m, |s| run(s.csrf_token()).unwrap());
        assert!(
            mine.cookie.is_some(),
            "{format}: the secret is in the session token"
        );
        let check = |b: &mut Browser, token: Option<&str>| {
            b.request(&m, |s| run(s.check_csrf("POST", token)).unwrap())
        };
        assert_eq!(check(&mut mine, Some(&token)), Ok(()), "{format}");
        assert_eq!(check(&mut mine, None), Err(CsrfError::Missing), "{format}");
        let forged = "A".repeat(86);
        assert_eq!(
            check(&mut mine, Some(&forged)),
            Err(CsrfError::Invalid),
            "{format}"
        );
        // The token without the cookie it belongs to (another browser's session).
        other.request(&m, |s| run(s.insert("n", 1)).unwrap());
        assert_eq!(
            check(&mut other, Some(&token)),
            Err(CsrfError::Invalid),
            "{format}"
        );
        let mut fresh = Browser::new();
        assert_eq!(
            check(&mut fresh, Some(&token)),
            Err(CsrfError::Invalid),
            "{format}"
        );
    }
}
