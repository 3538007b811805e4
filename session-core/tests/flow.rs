//! The manager's whole request flow against a logging store, with time passed in.

mod common;

use std::future::Future;
use std::task::{Context, Poll};
use std::time::Duration;

use common::{LogStore, NOW, SECRET};
use futures_util::future::{Either, FutureExt};
use session_core::{
    Config, ConfigBuilder, ConflictPolicy, HttpRequest, Secure, Session, SessionError,
    SessionManager, SessionTurns,
};
use time::OffsetDateTime;

/// A manager on `store`. Its requests do not take turns, so that the tests can interleave
/// two requests of one session on it, as two instances would.
fn manager(store: &LogStore, f: impl FnOnce(ConfigBuilder) -> ConfigBuilder) -> SessionManager {
    let builder = Config::builder()
        .secret(SECRET)
        .session_turns(SessionTurns::Never);
    SessionManager::new(f(builder).build().unwrap(), store.clone())
}

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    f.now_or_never().expect("the test store never waits")
}

fn begin(m: &SessionManager, cookie: Option<&str>, now: OffsetDateTime) -> Session {
    let mut headers = http::HeaderMap::new();
    if let Some(cookie) = cookie {
        headers.append(http::header::COOKIE, cookie.parse().unwrap());
    }
    m.begin(
        &HttpRequest {
            headers: &headers,
            peer: None,
            tls: false,
        },
        now,
    )
}

/// `name=value` of a Set-Cookie header.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

/// Starts a session holding `user = ann`; returns its cookie pair.
fn login(m: &SessionManager, now: OffsetDateTime) -> String {
    let s = begin(m, None, now);
    run(s.insert("user", "ann")).unwrap();
    pair(run(m.finish(s, 200, now)).unwrap().set_cookie().unwrap())
}

#[test]
fn new_session_is_created_then_loaded_without_writes() {
    let store = LogStore::default();
    let m = manager(&store, |b| b);
    let cookie = login(&m, NOW);
    assert_eq!(store.take_log(), ["create"]);
    let s = begin(&m, Some(&cookie), NOW);
    assert_eq!(
        run(s.get::<String>("user")).unwrap().as_deref(),
        Some("ann")
    );
    assert_eq!(run(m.finish(s, 200, NOW)).unwrap().set_cookie(), None);
    assert_eq!(store.take_log(), ["load"]);
}

#[test]
fn finish_waits_only_when_there_is_a_store_call() {
    let store = LogStore::default();
    let m = manager(&store, |b| b);
    let cookie = login(&m, NOW);
    let ready = |finish: &session_core::Finish| matches!(finish, Either::Left(_));

    let read = begin(&m, Some(&cookie), NOW);
    run(read.get::<String>("user")).unwrap();
    assert!(ready(&m.finishing(read, 200, NOW)));

    let untouched = begin(&m, Some(&cookie), NOW);
    assert!(ready(&m.finishing(untouched, 200, NOW)));

    let write = begin(&m, Some(&cookie), NOW);
    run(write.insert("user", "bob")).unwrap();
    let finish = m.finishing(write, 200, NOW);
    assert!(!ready(&finish), "a save waits for the store");
    assert!(run(finish).unwrap().set_cookie().is_none());
    assert_eq!(store.take_log(), ["create", "load", "load", "save"]);
}

#[test]
fn untouched_session_makes_no_store_call_and_no_cookie() {
    let store = LogStore::default();
    let m = manager(&store, |b| b.rolling(true).resave(true));
    let cookie = login(&m, NOW);
    store.take_log();
    let s = begin(&m, Some(&cookie), NOW);
    assert_eq!(run(m.finish(s, 200, NOW)).unwrap(), Default::default());
    assert!(store.take_log().is_empty());
}

#[test]
fn unwritten_new_session_is_not_stored() {
    let store = LogStore::default();
    let m = manager(&store, |b| b);
    let s = begin(&m, None, NOW);
    assert_eq!(run(s.get::<u32>("n")).unwrap(), None);
    assert_eq!(run(m.finish(s, 200, NOW)).unwrap().set_cookie(), None);
    assert!(store.records.lock().unwrap().is_empty());
}

#[test]
fn regenerate_keeps_data_under_a_new_id() {
    let store = LogStore::default();
    let m = manager(&store, |b| b);
    let old = login(&m, NOW);
    let s = begin(&m, Some(&old), NOW);
    run(s.regenerate()).unwrap();
    let new = pair(run(m.finish(s, 200, NOW)).unwrap().set_cookie().unwrap());
    assert_ne!(old, new);
    assert_eq!(store.records.lock().unwrap().len(), 1);
    let s = begin(&m, Some(&new), NOW);
    assert_eq!(
        run(s.get::<String>("user")).unwrap().as_deref(),
        Some("ann")
    );
    let s = begin(&m, Some(&old), NOW);
    assert_eq!(run(s.get::<String>("user")).unwrap(), None);
}

#[test]
fn destroy_deletes_and_clears_the_cookie() {
    let store = LogStore::default();
    let m = manager(&store, |b| b);
    let cookie = login(&m, NOW);
    let s = begin(&m, Some(&cookie), NOW);
    s.destroy();
    let set = run(m.finish(s, 200, NOW))
        .unwrap()
        .into_set_cookie()
        .unwrap();
    assert_eq!(
        set,
        "id=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax"
    );
    assert!(store.records.lock().unwrap().is_empty());
}

#[test]
fn old_secret_is_accepted_and_resigned() {
    let store = LogStore::default();
    let old_secret = "an old secret of at least 32 bytes long";
    let old = SessionManager::new(
        Config::builder().secret(old_secret).build().unwrap(),
        store.clone(),
    );
    let cookie = login(&old, NOW);
    let m = manager(&store, |b| b.secret(old_secret));
    let s = begin(&m, Some(&cookie), NOW);
    assert_eq!(
        run(s.get::<String>("user")).unwrap().as_deref(),
        Some("ann")
    );
    let resigned = pair(run(m.finish(s, 200, NOW)).unwrap().set_cookie().unwrap());
    assert_ne!(resigned, cookie);
    let current_only = manager(&store, |b| b);
    let s = begin(&current_only, Some(&resigned), NOW);
    assert_eq!(
        run(s.get::<String>("user")).unwrap().as_deref(),
        Some("ann")
    );
}

#[test]
fn idle_and_absolute_timeouts_end_sessions() {
    let store = LogStore::default();
    let minute = Duration::from_secs(60);
    let m = manager(&store, |b| {
        b.idle_timeout(10 * minute)
            .absolute_timeout(30 * minute)
            .touch_threshold(Duration::ZERO)
    });
    let cookie = login(&m, NOW);
    // Active every 9 minutes: the idle timeout never fires, the absolute one does at 30.
    for step in 1..=3 {
        let now = NOW + time::Duration::minutes(9 * step);
        let s = begin(&m, Some(&cookie), now);
        assert_eq!(
            run(s.get::<String>("user")).unwrap().as_deref(),
            Some("ann"),
            "minute {}",
            9 * step
        );
        let _ = run(m.finish(s, 200, now)).unwrap();
    }
    let s = begin(&m, Some(&cookie), NOW + time::Duration::minutes(30));
    assert_eq!(run(s.get::<String>("user")).unwrap(), None);
    // Idle: 10 minutes without a request.
    let cookie = login(&m, NOW);
    let s = begin(&m, Some(&cookie), NOW + time::Duration::minutes(10));
    assert_eq!(run(s.get::<String>("user")).unwrap(), None);
}

#[test]
fn server_errors_save_nothing() {
    let store = LogStore::default();
    let m = manager(&store, |b| b);
    let s = begin(&m, None, NOW);
    run(s.insert("user", "ann")).unwrap();
    assert_eq!(run(m.finish(s, 500, NOW)).unwrap().set_cookie(), None);
    assert!(store.records.lock().unwrap().is_empty());
}

#[test]
fn tampered_cookie_is_a_new_session_without_store_lookup() {
    let store = LogStore::default();
    let m = manager(&store, |b| b);
    let cookie = login(&m, NOW);
    store.take_log();
    let tampered = cookie.replacen("s%3A", "s%3AX", 1);
    let s = begin(&m, Some(&tampered), NOW);
    assert_eq!(run(s.get::<String>("user")).unwrap(), None);
    assert!(
        store.take_log().is_empty(),
        "no lookup for an id whose signature failed"
    );
}

#[test]
fn concurrent_writes_to_different_keys_merge() {
    let store = LogStore::default();
    let m = manager(&store, |b| b);
    let cookie = login(&m, NOW);
    let a = begin(&m, Some(&cookie), NOW);
    let b = begin(&m, Some(&cookie), NOW);
    run(a.insert("a", 1)).unwrap();
    run(b.insert("b", 2)).unwrap();
    let _ = run(m.finish(a, 200, NOW)).unwrap();
    let _ = run(m.finish(b, 200, NOW)).unwrap();
    let s = begin(&m, Some(&cookie), NOW);
    assert_eq!(run(s.get::<i32>("a")).unwrap(), Some(1));
    assert_eq!(run(s.get::<i32>("b")).unwrap(), Some(2));
    assert_eq!(
        run(s.get::<String>("user")).unwrap().as_deref(),
        Some("ann")
    );
}

#[test]
fn concurrent_increments_conflict_instead_of_losing_one() {
    let store = LogStore::default();
    let m = manager(&store, |b| b);
    let cookie = login(&m, NOW);
    let a = begin(&m, Some(&cookie), NOW);
    let b = begin(&m, Some(&cookie), NOW);
    for s in [&a, &b] {
        let n: i32 = run(s.get("n")).unwrap().unwrap_or(0);
        run(s.insert("n", n + 1)).unwrap();
    }
    let _ = run(m.finish(a, 200, NOW)).unwrap();
    let err = run(m.finish(b, 200, NOW)).unwrap_err();
    assert!(matches!(err, SessionError::Conflict));
    assert_eq!(err.status(409), 409);
}

#[test]
fn last_write_wins_loses_the_concurrent_write() {
    let store = LogStore::default();
    let m = manager(&store, |b| b.conflict_policy(ConflictPolicy::LastWriteWins));
    let cookie = login(&m, NOW);
    let a = begin(&m, Some(&cookie), NOW);
    let b = begin(&m, Some(&cookie), NOW);
    run(a.insert("a", 1)).unwrap();
    run(b.insert("b", 2)).unwrap();
    let _ = run(m.finish(a, 200, NOW)).unwrap();
    let _ = run(m.finish(b, 200, NOW)).unwrap();
    let s = begin(&m, Some(&cookie), NOW);
    assert_eq!(run(s.get::<i32>("a")).unwrap(), None, "the documented loss");
    assert_eq!(run(s.get::<i32>("b")).unwrap(), Some(2));
}

#[test]
fn remember_me_sets_a_persistent_cookie() {
    let store = LogStore::default();
    let m = manager(&store, |b| b);
    let cookie = login(&m, NOW);
    let s = begin(&m, Some(&cookie), NOW);
    run(s.set_max_age(Some(Duration::from_secs(30 * 86400)))).unwrap();
    let set = run(m.finish(s, 200, NOW))
        .unwrap()
        .into_set_cookie()
        .unwrap();
    assert!(
        set.contains("; Max-Age=2592000; Path=/; Expires=Thu, 31 Jan 2030 00:00:00 GMT;"),
        "{set}"
    );
    let expires = store
        .records
        .lock()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .expires_at;
    assert_eq!(expires, NOW + time::Duration::days(30));
}

#[test]
fn secure_auto_trusts_only_configured_proxies() {
    let store = LogStore::default();
    let m = manager(&store, |b| b.secure(Secure::Auto).trusted_proxy("10.0.0.1"));
    let mut headers = http::HeaderMap::new();
    headers.insert("x-forwarded-proto", "https".parse().unwrap());
    for (peer, secure) in [("10.0.0.1", true), ("10.0.0.2", false)] {
        let req = HttpRequest {
            headers: &headers,
            peer: Some(peer.parse().unwrap()),
            tls: false,
        };
        let s = m.begin(&req, NOW);
        run(s.insert("k", 1)).unwrap();
        let set = run(m.finish(s, 200, NOW))
            .unwrap()
            .into_set_cookie()
            .unwrap();
        assert_eq!(set.contains("; Secure"), secure, "{peer}: {set}");
    }
}

#[test]
fn unset_destroy_removes_an_emptied_session() {
    let store = LogStore::default();
    let m = manager(&store, |b| b);
    let cookie = login(&m, NOW);
    let s = begin(&m, Some(&cookie), NOW);
    run(s.clear()).unwrap();
    let set = run(m.finish(s, 200, NOW))
        .unwrap()
        .into_set_cookie()
        .unwrap();
    assert!(set.starts_with("id=; Max-Age=0"));
    assert!(store.records.lock().unwrap().is_empty());
}

#[test]
fn browser_session_choice_overrides_configured_max_age_and_is_resent() {
    let store = LogStore::default();
    let m = manager(&store, |b| b.max_age(Some(Duration::from_secs(3600))));
    let cookie = login(&m, NOW);
    let s = begin(&m, Some(&cookie), NOW);
    assert_eq!(run(s.max_age()).unwrap(), Some(Duration::from_secs(3600)));
    run(s.set_max_age(None)).unwrap();
    assert_eq!(run(s.max_age()).unwrap(), None);
    let set = run(m.finish(s, 200, NOW))
        .unwrap()
        .into_set_cookie()
        .unwrap();
    assert!(
        !set.contains("Max-Age") && !set.contains("Expires"),
        "{set}"
    );
    // Stored with the fallback lifetime (24 h), not the configured max-age.
    let expires = store
        .records
        .lock()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .expires_at;
    assert_eq!(expires, NOW + time::Duration::hours(24));
}

/// Records of 256 bytes or more load lazily: every operation sees the same session as with a
/// decoded map, including merges and conflicts.
#[test]
fn large_sessions_read_lazily_and_lose_nothing() {
    let store = LogStore::default();
    let m = manager(&store, |b| b);
    let cart = "x".repeat(400);
    let s = begin(&m, None, NOW);
    run(s.insert("user", "ann")).unwrap();
    run(s.insert("cart", &cart)).unwrap();
    let cookie = pair(run(m.finish(s, 200, NOW)).unwrap().set_cookie().unwrap());
    store.take_log();

    // Reads change nothing and save nothing.
    let s = begin(&m, Some(&cookie), NOW);
    assert_eq!(
        run(s.get::<String>("user")).unwrap().as_deref(),
        Some("ann")
    );
    assert_eq!(run(s.get::<String>("missing")).unwrap(), None);
    assert!(
        run(s.get::<u64>("user")).is_err(),
        "a value of another type"
    );
    assert!(!run(s.is_empty()).unwrap());
    let _ = run(m.finish(s, 200, NOW)).unwrap();
    assert_eq!(store.take_log(), ["load"]);

    // Two requests write different keys after reading: they merge.
    let a = begin(&m, Some(&cookie), NOW);
    let b = begin(&m, Some(&cookie), NOW);
    for (s, key) in [(&a, "a"), (&b, "b")] {
        assert_eq!(
            run(s.get::<String>("user")).unwrap().as_deref(),
            Some("ann")
        );
        run(s.insert(key, 1)).unwrap();
    }
    let _ = run(m.finish(a, 200, NOW)).unwrap();
    let _ = run(m.finish(b, 200, NOW)).unwrap();
    let s = begin(&m, Some(&cookie), NOW);
    let mut keys = run(s.keys()).unwrap();
    keys.sort();
    assert_eq!(keys, ["a", "b", "cart", "user"]);
    assert_eq!(run(s.get::<String>("cart")).unwrap(), Some(cart));
    let _ = run(m.finish(s, 200, NOW)).unwrap();

    // Two requests increment the same key read from the text: the second conflicts.
    let a = begin(&m, Some(&cookie), NOW);
    let b = begin(&m, Some(&cookie), NOW);
    for s in [&a, &b] {
        let n: i32 = run(s.get("a")).unwrap().unwrap_or(0);
        run(s.insert("a", n + 1)).unwrap();
    }
    let _ = run(m.finish(a, 200, NOW)).unwrap();
    assert!(matches!(
        run(m.finish(b, 200, NOW)),
        Err(SessionError::Conflict)
    ));

    // Clearing a session that was never decoded destroys it.
    let s = begin(&m, Some(&cookie), NOW);
    run(s.clear()).unwrap();
    assert!(run(s.is_empty()).unwrap());
    let outcome = run(m.finish(s, 200, NOW)).unwrap();
    assert!(outcome
        .set_cookie()
        .unwrap()
        .contains("Expires=Thu, 01 Jan 1970"));
}

/// Data that loads lazily but would not decode (nested deeper than a decode allows) is a new
/// session, as it is when decoded at once: not a session that loads and then fails on every
/// change until it expires.
#[test]
fn large_sessions_that_would_not_decode_are_new_sessions() {
    let store = LogStore::default();
    let m = manager(&store, |b| b);
    let deep: serde_json::Value = serde_json::from_str::<serde_json::Value>("1")
        .map(|v| (0..200).fold(v, |v, _| serde_json::Value::Array(vec![v])))
        .unwrap();
    let s = begin(&m, None, NOW);
    run(s.insert("user", "ann")).unwrap();
    run(s.insert("deep", deep)).unwrap();
    let cookie = pair(run(m.finish(s, 200, NOW)).unwrap().set_cookie().unwrap());

    let s = begin(&m, Some(&cookie), NOW);
    assert_eq!(run(s.get::<String>("user")).unwrap(), None);
    run(s.insert("user", "bob")).unwrap();
    let again = pair(run(m.finish(s, 200, NOW)).unwrap().set_cookie().unwrap());
    assert_ne!(again, cookie, "a new session, under a new id");
}

/// Finishes a destroyed session: its cookie is cleared and its record deleted.
fn finish_destroyed(m: &SessionManager, s: Session, store: &LogStore) {
    let set = run(m.finish(s, 200, NOW))
        .unwrap()
        .into_set_cookie()
        .unwrap();
    assert!(set.starts_with("id=; Max-Age=0"), "{set}");
    assert!(store.records.lock().unwrap().is_empty());
}

/// A store whose every load waits once (answers `Pending`, then the logging store's answer),
/// so that a test can act on a clone of the handle while a load is under way.
#[derive(Clone)]
struct LoadWaitsOnce(LogStore);

impl session_core::Store for LoadWaitsOnce {
    async fn load(
        &self,
        id: &session_core::SessionId,
        now: OffsetDateTime,
    ) -> Result<Option<session_core::Record>, session_core::StoreError> {
        let mut waited = false;
        std::future::poll_fn(|cx| {
            if waited {
                return Poll::Ready(());
            }
            waited = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await;
        self.0.load(id, now).await
    }
    async fn create(
        &self,
        id: &session_core::SessionId,
        record: &session_core::Record,
    ) -> Result<(), session_core::StoreError> {
        self.0.create(id, record).await
    }
    async fn save(
        &self,
        id: &session_core::SessionId,
        record: &session_core::Record,
        version: u64,
    ) -> Result<(), session_core::StoreError> {
        self.0.save(id, record, version).await
    }
    async fn touch(
        &self,
        id: &session_core::SessionId,
        expires_at: OffsetDateTime,
    ) -> Result<(), session_core::StoreError> {
        self.0.touch(id, expires_at).await
    }
    async fn delete(&self, id: &session_core::SessionId) -> Result<(), session_core::StoreError> {
        self.0.delete(id).await
    }
}

#[test]
fn a_destroy_while_a_read_loads_still_deletes_the_record() {
    let store = LogStore::default();
    let cookie = login(&manager(&store, |b| b), NOW);
    let config = Config::builder().secret(SECRET).build().unwrap();
    let m = SessionManager::new(config, LoadWaitsOnce(store.clone()));
    let s = begin(&m, Some(&cookie), NOW);
    let clone = s.clone();
    let user = {
        let mut read = std::pin::pin!(s.get::<String>("user"));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(read.as_mut().poll(&mut cx).is_pending());
        clone.destroy();
        let Poll::Ready(user) = read.as_mut().poll(&mut cx) else {
            panic!("the load answers on its second poll");
        };
        user
    };
    // The destroyed session's data is not handed out, and the record is still deleted.
    assert_eq!(user.unwrap(), None);
    finish_destroyed(&m, s, &store);
}

#[test]
fn a_read_after_a_destroy_still_deletes_the_record() {
    let store = LogStore::default();
    let m = manager(&store, |b| b);
    let cookie = login(&m, NOW);
    let s = begin(&m, Some(&cookie), NOW);
    s.destroy();
    assert_eq!(run(s.get::<String>("user")).unwrap(), None);
    finish_destroyed(&m, s, &store);
    assert_eq!(store.take_log(), ["create", "delete"]);
}

/// A task the handler spawned (a WebSocket, an SSE stream) that writes after the response
/// was finished gets an error instead of losing the write; reads still work.
#[test]
fn writes_after_finish_are_refused_not_lost() {
    let store = LogStore::default();
    let m = manager(&store, |b| b);
    let cookie = login(&m, NOW);
    for touched in [false, true] {
        let s = begin(&m, Some(&cookie), NOW);
        if touched {
            run(s.insert("seen", true)).unwrap();
        }
        let task = s.clone();
        let _ = run(m.finish(s, 200, NOW)).unwrap();
        assert!(matches!(
            run(task.insert("late", 1)),
            Err(SessionError::Finished)
        ));
        assert!(matches!(
            run(task.remove("user")),
            Err(SessionError::Finished)
        ));
        assert!(matches!(run(task.clear()), Err(SessionError::Finished)));
        assert!(matches!(
            run(task.regenerate()),
            Err(SessionError::Finished)
        ));
        assert!(matches!(
            run(task.set_user(Some("eve"))),
            Err(SessionError::Finished)
        ));
        assert_eq!(
            run(task.get::<String>("user")).unwrap().as_deref(),
            Some("ann")
        );
    }
    let s = begin(&m, Some(&cookie), NOW);
    assert_eq!(run(s.get::<u64>("late")).unwrap(), None);
}

#[test]
fn requests_of_one_session_take_turns() {
    let store = LogStore::default();
    let m = manager(&store, |b| b.session_turns(SessionTurns::Auto));
    let cookie = login(&m, NOW);
    let other = login(&m, NOW);
    store.take_log();

    let first = begin(&m, Some(&cookie), NOW);
    run(first.get::<String>("user")).unwrap();
    let second = begin(&m, Some(&cookie), NOW);
    let mut waiting = Box::pin(second.get::<String>("user"));
    assert!(
        (&mut waiting).now_or_never().is_none(),
        "the second request of the session waits for the first"
    );
    // Another session's request does not wait.
    let third = begin(&m, Some(&other), NOW);
    assert_eq!(
        run(third.get::<String>("user")).unwrap().as_deref(),
        Some("ann")
    );
    let _ = run(m.finish(third, 200, NOW)).unwrap();

    run(first.insert("n", 1)).unwrap();
    let _ = run(m.finish(first, 200, NOW)).unwrap();
    // Its turn now: it loads the first one's save, so its own save cannot conflict.
    assert_eq!(run(waiting).unwrap().as_deref(), Some("ann"));
    assert_eq!(run(second.get::<u64>("n")).unwrap(), Some(1));
    run(second.insert("n", 2)).unwrap();
    let _ = run(m.finish(second, 200, NOW)).unwrap();
    assert_eq!(
        store.take_log(),
        ["load", "load", "save", "load", "save"],
        "no conflict, no retry"
    );
}
