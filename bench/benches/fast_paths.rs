//! What each of the core's fast paths saves, in instructions per request, counted by
//! callgrind: requests through the core with the memory store (as an adapter makes them, minus
//! the framework), once the usual way and once with the fast path bypassed through the
//! public API:
//!
//! - `immediate`: the store's [`ImmediateStore`] calls; bypassed by a store that does not
//!   offer them, so that loads and saves go through boxed futures;
//! - `finishing`: the [`Finish`](session_core::Finish) future, ready at once; bypassed by
//!   awaiting a boxed `finish` future, as an adapter with a plain `async fn` would;
//! - `lazy`: the JSON data read lazily (sessions of 256 bytes and more); bypassed by a codec
//!   that decodes every record at once, on a session of ~1 KiB (`read1k`, `rw1k`).
//!
//! The ids held inline (`session-core/src/inline_str.rs`) can't be bypassed from outside; their
//! figure came from the same scenarios with a `Box<str>` in their place.
//!
//! ```sh
//! cargo bench -p session-bench --bench fast_paths
//! ```
//!
//! Needs valgrind; prints a notice and exits when it is missing. As a child (argument
//! `--child VARIANT SCENARIO COUNT`) it just makes COUNT requests.

use std::hint::black_box;

use futures_util::FutureExt;
use session_bench::callgrind;
use session_core::{
    Clock, Codec, CodecError, Config, HttpRequest, ImmediateStore, JsonCodec, Outcome, Record,
    Session, SessionId, SessionManager, SessionState, Store, StoreError, SystemClock,
};
use session_stores::MemoryStore;
use time::OffsetDateTime;

const WARMUP: u64 = 1_000;
const REQUESTS: u64 = 5_000;

/// (variant, scenario): each bypass beside the usual way, on the scenarios it changes.
const RUNS: &[(&str, &str)] = &[
    ("usual", "read"),
    ("usual", "rw"),
    ("usual", "new"),
    ("immediate-bypassed", "read"),
    ("immediate-bypassed", "rw"),
    ("immediate-bypassed", "new"),
    ("finishing-bypassed", "read"),
    ("finishing-bypassed", "rw"),
    ("finishing-bypassed", "new"),
    ("usual", "read1k"),
    ("usual", "rw1k"),
    ("lazy-bypassed", "read1k"),
    ("lazy-bypassed", "rw1k"),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--child") {
        child(&args[at + 1..]);
        return;
    }
    if !callgrind::available() {
        println!("fast_paths: valgrind is not installed; skipped");
        return;
    }
    println!(
        "{:<20} {:<8} {:>14}",
        "variant", "scenario", "instr/request"
    );
    for (variant, scenario) in RUNS {
        let count = |n: u64| {
            let child = ["--child", variant, scenario, &n.to_string()];
            callgrind::instructions(
                &args[0],
                &child,
                &format!("fast_paths.{variant}.{scenario}.{n}"),
            )
        };
        let (base, total) = (count(WARMUP), count(WARMUP + REQUESTS));
        let per = total.saturating_sub(base) / REQUESTS;
        println!("{variant:<20} {scenario:<8} {per:>14}");
    }
}

/// JSON, decoded at once: the trait's default `decode_lazily`.
struct EagerJson;

impl Codec for EagerJson {
    fn encode(&self, state: &SessionState, at: OffsetDateTime) -> Result<Vec<u8>, CodecError> {
        JsonCodec.encode(state, at)
    }
    fn decode(&self, payload: &[u8]) -> Result<SessionState, CodecError> {
        JsonCodec.decode(payload)
    }
}

/// The memory store without its [`ImmediateStore`] calls.
struct Waiting(MemoryStore);

impl Store for Waiting {
    async fn load(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Result<Option<Record>, StoreError> {
        ImmediateStore::load(&self.0, id, now)
    }
    async fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        ImmediateStore::create(&self.0, id, record)
    }
    async fn save(&self, id: &SessionId, record: &Record, version: u64) -> Result<(), StoreError> {
        ImmediateStore::save(&self.0, id, record, version)
    }
    async fn touch(&self, id: &SessionId, at: OffsetDateTime) -> Result<(), StoreError> {
        ImmediateStore::touch(&self.0, id, at)
    }
    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        ImmediateStore::delete(&self.0, id)
    }
}

fn child(args: &[String]) {
    let [variant, scenario, count] = args else {
        panic!("usage: --child VARIANT SCENARIO COUNT");
    };
    let count: u64 = count.parse().expect("a count");
    let config = Config::builder()
        .secret("a secret of at least thirty-two bytes!!")
        .build()
        .expect("config");
    let builder = SessionManager::builder(config);
    let builder = match variant.as_str() {
        "immediate-bypassed" => builder.store(Waiting(MemoryStore::new())),
        _ => builder.store(MemoryStore::new()),
    };
    let builder = match variant.as_str() {
        "lazy-bypassed" => builder.codec(EagerJson),
        _ => builder.codec(JsonCodec),
    };
    let manager = builder.build().expect("manager");
    let boxed = variant == "finishing-bypassed";
    let finish = |session: Session| -> Outcome {
        let now = SystemClock.now();
        let done = if boxed {
            Box::pin(manager.finish(session, 200, now)).now_or_never()
        } else {
            manager.finishing(session, 200, now).now_or_never()
        };
        done.expect("the memory store never waits")
            .expect("finished")
    };
    let ready = |f: &mut dyn FnMut() -> Option<Result<(), session_core::SessionError>>| {
        f().expect("the memory store never waits")
            .expect("a session call");
    };

    let empty = http::HeaderMap::new();
    let fresh = HttpRequest {
        headers: &empty,
        peer: None,
        tls: true,
    };
    let seed = manager.begin(&fresh, SystemClock.now());
    ready(&mut || seed.insert("n", 1u64).now_or_never());
    if scenario.ends_with("1k") {
        // A session as an app keeps it: a user, a CSRF token, a cart, preferences (~1 KiB).
        let cart: Vec<_> = (0..30)
            .map(|i| serde_json::json!({"sku": format!("SKU-{i:05}"), "qty": i % 3 + 1}))
            .collect();
        let user = serde_json::json!({"id": 4711, "name": "Ann Example", "roles": ["admin"]});
        let prefs = serde_json::json!({"theme": "dark", "lang": "en-GB", "tz": "Europe/London"});
        ready(&mut || seed.insert("user", &user).now_or_never());
        ready(&mut || {
            seed.insert("csrf", "k3l4j5h6g7f8d9s0a1q2w3e4r5t6y7u8")
                .now_or_never()
        });
        ready(&mut || seed.insert("cart", &cart).now_or_never());
        ready(&mut || seed.insert("prefs", &prefs).now_or_never());
    }
    let set_cookie = finish(seed)
        .set_cookie()
        .map(str::to_owned)
        .expect("a cookie");
    let pair = set_cookie.split(';').next().unwrap_or_default();
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::COOKIE, pair.parse().expect("a header value"));
    let with_cookie = HttpRequest {
        headers: &headers,
        peer: None,
        tls: true,
    };

    for _ in 0..count {
        let now = SystemClock.now();
        match scenario.as_str() {
            "read" | "read1k" => {
                let session = manager.begin(&with_cookie, now);
                let n = session.get::<u64>("n").now_or_never();
                black_box(n.expect("ready").expect("read"));
                drop(black_box(finish(session)));
            }
            "rw" | "rw1k" => {
                let session = manager.begin(&with_cookie, now);
                let n = session.get::<u64>("n").now_or_never();
                let n = n.expect("ready").expect("read").unwrap_or(0);
                ready(&mut || session.insert("n", n + 1).now_or_never());
                drop(black_box(finish(session)));
            }
            "new" => {
                let session = manager.begin(&fresh, now);
                ready(&mut || session.insert("n", 1u64).now_or_never());
                drop(black_box(finish(session)));
            }
            other => panic!("unknown scenario {other}"),
        }
    }
}
