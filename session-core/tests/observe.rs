//! What the core reports: the spans and events of real requests, captured by a subscriber,
//! with the fields an operator reads and never a session id or a secret; and (feature
//! `metrics`) the counters and histograms, captured by a recorder.

mod common;

use std::sync::{Arc, Mutex};

use common::{LogStore, NOW, SECRET};
use futures_util::FutureExt;
use session_core::{
    Config, HttpRequest, Record, Session, SessionId, SessionManager, SessionTurns, Store,
    StoreError, StoreErrorKind,
};
use time::OffsetDateTime;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// Every span and event as one line: `span NAME k=v ...`, `event LEVEL message k=v ...`.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push_str(&format!(" {}={value}", field.name()));
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut line = Line(format!("span {}", attrs.metadata().name()));
        attrs.record(&mut line);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Line(line.0));
        }
    }
    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, S>,
    ) {
        if let Some(span) = ctx.span(id) {
            if let Some(line) = span.extensions_mut().get_mut::<Line>() {
                values.record(line);
            }
        }
    }
    fn on_close(&self, id: tracing::span::Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id) {
            if let Some(line) = span.extensions_mut().remove::<Line>() {
                self.0.lock().unwrap().push(line.0);
            }
        }
    }
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut line = Line(format!("event {}", event.metadata().level()));
        event.record(&mut line);
        self.0.lock().unwrap().push(line.0);
    }
}

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    f.now_or_never().expect("the test stores never wait")
}

fn begin(m: &SessionManager, cookie: Option<&str>) -> Session {
    let mut headers = http::HeaderMap::new();
    if let Some(cookie) = cookie {
        headers.append(http::header::COOKIE, cookie.parse().unwrap());
    }
    let request = HttpRequest {
        headers: &headers,
        peer: None,
        tls: true,
    };
    m.begin(&request, NOW)
}

fn login(m: &SessionManager) -> String {
    let s = begin(m, None);
    run(s.insert("user", "ann")).unwrap();
    let outcome = run(m.finish(s, 200, NOW)).unwrap();
    outcome
        .set_cookie()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The id inside `id=s%3A<id>.<mac>`.
fn id_of(cookie: &str) -> SessionId {
    let value = cookie.split_once("s%3A").unwrap().1;
    SessionId::parse(value.split('.').next().unwrap()).unwrap()
}

/// A store that is down.
struct Down;

impl Store for Down {
    async fn load(&self, _: &SessionId, _: OffsetDateTime) -> Result<Option<Record>, StoreError> {
        Err(StoreError::new(
            StoreErrorKind::Unavailable,
            "connection refused",
        ))
    }
    async fn create(&self, _: &SessionId, _: &Record) -> Result<(), StoreError> {
        Err(StoreError::new(
            StoreErrorKind::Unavailable,
            "connection refused",
        ))
    }
    async fn save(&self, _: &SessionId, _: &Record, _: u64) -> Result<(), StoreError> {
        Err(StoreError::new(
            StoreErrorKind::Unavailable,
            "connection refused",
        ))
    }
    async fn touch(&self, _: &SessionId, _: OffsetDateTime) -> Result<(), StoreError> {
        Err(StoreError::new(
            StoreErrorKind::Unavailable,
            "connection refused",
        ))
    }
    async fn delete(&self, _: &SessionId) -> Result<(), StoreError> {
        Err(StoreError::new(
            StoreErrorKind::Unavailable,
            "connection refused",
        ))
    }
    fn backend_name(&self) -> &'static str {
        "down"
    }
}

/// The requests every test below makes: a login, a tampered and a malformed cookie, a
/// conflict merged, and a store that is down. Returns the login's cookie and its manager.
fn requests() -> (String, SessionManager) {
    // No turns: the conflict below needs two requests of one session interleaved.
    let config = || {
        Config::builder()
            .secret(SECRET)
            .session_turns(SessionTurns::Never)
            .build()
            .unwrap()
    };
    let m = SessionManager::new(config(), LogStore::default());
    let cookie = login(&m);

    let tampered = cookie.replace("s%3A", "s%3AX").replacen('.', "Y.", 1);
    run(begin(&m, Some(&tampered)).get::<String>("user")).unwrap();
    run(begin(&m, Some("id=garbage")).get::<String>("user")).unwrap();

    let (one, two) = (begin(&m, Some(&cookie)), begin(&m, Some(&cookie)));
    run(one.get::<String>("user")).unwrap();
    run(two.get::<String>("user")).unwrap();
    run(one.insert("a", 1)).unwrap();
    run(two.insert("b", 2)).unwrap();
    let _ = run(m.finish(one, 200, NOW)).unwrap();
    let _ = run(m.finish(two, 200, NOW)).unwrap();

    let down = SessionManager::new(config(), Down);
    let s = begin(&down, Some(&cookie));
    assert!(run(s.get::<String>("user")).is_err());
    (cookie, m)
}

/// One test, so that no other thread hits the callsites without the subscriber meanwhile
/// (tracing caches a callsite's interest across threads).
#[test]
fn requests_are_traced_and_counted() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    #[cfg(feature = "metrics")]
    let recorder = metrics_util::debugging::DebuggingRecorder::new();
    #[cfg(feature = "metrics")]
    let snapshotter = recorder.snapshotter();
    let run_all = || {
        #[cfg(feature = "metrics")]
        return metrics::with_local_recorder(&recorder, requests);
        #[cfg(not(feature = "metrics"))]
        requests()
    };
    let (cookie, m) = tracing::subscriber::with_default(subscriber, run_all);
    traced(&capture, &cookie, &m);
    #[cfg(feature = "metrics")]
    counted(snapshotter.snapshot());
}

/// The spans and events: the fields an operator reads, sessions named by fingerprint only.
fn traced(capture: &Capture, cookie: &str, m: &SessionManager) {
    let lines = capture.0.lock().unwrap().clone();
    let has = |needle: &[&str]| lines.iter().any(|l| needle.iter().all(|n| l.contains(n)));

    assert!(
        has(&[
            "span session.finish",
            "status=200",
            "op=create",
            "cookie=set"
        ]),
        "{lines:#?}"
    );
    assert!(
        has(&[
            "span session.store",
            "op=create",
            "backend=LogStore",
            "outcome=ok",
            "micros="
        ]),
        "{lines:#?}"
    );
    assert!(has(&["event DEBUG", "reason=bad_signature"]), "{lines:#?}");
    assert!(has(&["event DEBUG", "reason=malformed"]), "{lines:#?}");
    let fingerprint = m.fingerprint(&id_of(cookie)).to_string();
    assert!(
        has(&[
            "event WARN",
            "resolution=merged",
            &format!("session={fingerprint}")
        ]),
        "{lines:#?}"
    );
    assert!(
        has(&[
            "event WARN",
            "session store call failed",
            "backend=down",
            "kind=unavailable"
        ]),
        "{lines:#?}"
    );
    assert!(
        has(&[
            "span session.store",
            "op=load",
            "backend=down",
            "outcome=unavailable"
        ]),
        "{lines:#?}"
    );

    let id = id_of(cookie);
    let value = cookie.split_once('=').unwrap().1;
    for line in &lines {
        assert!(
            !line.contains(id.as_str()),
            "a session id in a trace: {line}"
        );
        assert!(!line.contains(value), "a cookie in a trace: {line}");
        assert!(!line.contains(SECRET), "the secret in a trace: {line}");
    }
}

/// The counters and histograms of the same requests.
#[cfg(feature = "metrics")]
fn counted(snapshot: metrics_util::debugging::Snapshot) {
    use metrics_util::debugging::DebugValue;
    let snapshot = snapshot.into_vec();
    let value = |name: &str, labels: &[(&str, &str)]| {
        snapshot.iter().find_map(|(key, _, _, value)| {
            let key = key.key();
            let matches = key.name() == name
                && labels
                    .iter()
                    .all(|(k, v)| key.labels().any(|l| l.key() == *k && l.value() == *v));
            matches.then_some(value)
        })
    };
    let counter = |name: &str, labels: &[(&str, &str)]| match value(name, labels) {
        Some(DebugValue::Counter(n)) => *n,
        other => panic!("{name} {labels:?}: {other:?}"),
    };
    assert_eq!(counter("sessions_created_total", &[]), 1);
    assert_eq!(
        counter(
            "session_cookie_rejected_total",
            &[("reason", "bad_signature")]
        ),
        1
    );
    assert_eq!(
        counter("session_cookie_rejected_total", &[("reason", "malformed")]),
        1
    );
    assert_eq!(
        counter("session_conflicts_total", &[("resolution", "merged")]),
        1
    );
    assert_eq!(
        counter(
            "session_store_errors_total",
            &[("op", "load"), ("backend", "down"), ("kind", "unavailable")]
        ),
        1
    );
    match value(
        "session_store_operation_seconds",
        &[("op", "save"), ("backend", "LogStore")],
    ) {
        Some(DebugValue::Histogram(samples)) => {
            assert_eq!(samples.len(), 3, "two saves, one of them retried");
        }
        other => panic!("save histogram: {other:?}"),
    }
}
