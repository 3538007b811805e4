//! The cases, each an async fn that returns what went wrong.

use std::time::Duration;

use serde_json::json;
use session_core::{Codec, JsonCodec, Record, SessionId, SessionState, Store, StoreErrorKind};
use time::OffsetDateTime;

/// The names of the suite's cases, in the order [`super::run_store_suite`] runs them.
pub const CASES: &[&str] = &[
    "load_unknown_is_none",
    "round_trip_nested",
    "expiry_honoured_by_load",
    "touch_extends",
    "delete",
    "create_refuses_existing_id",
    "save_compare_and_set",
    "concurrent_saves_of_different_sessions",
    "values_up_to_1_mib",
    "unicode",
];

type CaseResult = Result<(), String>;

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

pub(crate) async fn run<S: Store + Clone>(case: &str, store: S) -> CaseResult {
    let t = Times::now();
    match case {
        "load_unknown_is_none" => load_unknown_is_none(&store, &t).await,
        "round_trip_nested" => round_trip_nested(&store, &t).await,
        "expiry_honoured_by_load" => expiry_honoured_by_load(&store, &t).await,
        "touch_extends" => touch_extends(&store, &t).await,
        "delete" => delete(&store, &t).await,
        "create_refuses_existing_id" => create_refuses_existing_id(&store, &t).await,
        "save_compare_and_set" => save_compare_and_set(&store, &t).await,
        "concurrent_saves_of_different_sessions" => concurrent_saves(store, &t).await,
        "values_up_to_1_mib" => values_up_to_1_mib(&store, &t).await,
        "unicode" => unicode(&store, &t).await,
        other => Err(format!("no such case `{other}`")),
    }
}

/// The instants a case uses: near the real time, so that a store whose server expires keys
/// by its own clock (Redis) keeps them for the case and drops them soon after.
struct Times {
    now: OffsetDateTime,
}

impl Times {
    // The suite passes `now` to the store like any caller would; it reads the system clock
    // only to stay close to the server's clock.
    #[allow(clippy::disallowed_methods)]
    fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        let millis = now.unix_timestamp_nanos() / 1_000_000 * 1_000_000;
        Self {
            now: OffsetDateTime::from_unix_timestamp_nanos(millis).unwrap_or(now),
        }
    }

    fn at(&self, minutes: i64) -> OffsetDateTime {
        self.now + time::Duration::minutes(minutes)
    }
}

fn new_id() -> Result<SessionId, String> {
    SessionId::generate().map_err(|e| format!("no session id: {e}"))
}

fn state(data: serde_json::Value, t: &Times) -> SessionState {
    SessionState {
        data: data.as_object().cloned().unwrap_or_default(),
        created_at: t.now,
        max_age: Some(Duration::from_secs(3600)),
    }
}

fn encode(state: &SessionState, expires_at: OffsetDateTime) -> Result<Vec<u8>, String> {
    JsonCodec
        .encode(state, expires_at)
        .map_err(|e| format!("encode: {e}"))
}

fn op<T>(what: &str, result: Result<T, session_core::StoreError>) -> Result<T, String> {
    result.map_err(|e| format!("{what} failed: {e} ({:?})", e.kind()))
}

/// Creates a record expiring at `expires_at` with `payload`, version 1.
async fn create<S: Store>(
    store: &S,
    payload: Vec<u8>,
    expires_at: OffsetDateTime,
) -> Result<(SessionId, Record), String> {
    let id = new_id()?;
    let record = Record::new(payload, expires_at, 1);
    op("create", store.create(&id, &record).await)?;
    Ok((id, record))
}

async fn load<S: Store>(
    store: &S,
    id: &SessionId,
    now: OffsetDateTime,
) -> Result<Option<Record>, String> {
    op("load", store.load(id, now).await)
}

async fn load_unknown_is_none<S: Store>(store: &S, t: &Times) -> CaseResult {
    let id = new_id()?;
    ensure!(
        load(store, &id, t.now).await?.is_none(),
        "an unknown id loaded"
    );
    op("touch of an unknown id", store.touch(&id, t.at(10)).await)?;
    op("delete of an unknown id", store.delete(&id).await)
}

async fn round_trip_nested<S: Store>(store: &S, t: &Times) -> CaseResult {
    let nested = state(
        json!({
            "user": {"id": 42, "roles": ["admin", "editor"], "profile": {"tz": "UTC", "beta": true}},
            "cart": [{"sku": "a-1", "qty": 2, "price": 9.99}, {"sku": "b-2", "qty": 1, "price": null}],
            "counters": {"big": u64::MAX, "negative": i64::MIN, "zero": 0},
            "empty": {"object": {}, "array": [], "string": ""}
        }),
        t,
    );
    let expires = t.at(10);
    let (id, record) = create(store, encode(&nested, expires)?, expires).await?;
    let loaded = load(store, &id, t.now)
        .await?
        .ok_or("the record did not load")?;
    ensure!(loaded == record, "loaded {loaded:?}, created {record:?}");
    let decoded = JsonCodec
        .decode(&loaded.payload)
        .map_err(|e| format!("decode: {e}"))?;
    ensure!(decoded == nested, "the nested data changed on the way");
    op("delete", store.delete(&id).await)
}

async fn expiry_honoured_by_load<S: Store>(store: &S, t: &Times) -> CaseResult {
    let expires = t.at(10);
    let (id, _) = create(store, b"{}".to_vec(), expires).await?;
    let just_before = expires - time::Duration::milliseconds(1);
    ensure!(
        load(store, &id, just_before).await?.is_some(),
        "gone 1 ms before expiry"
    );
    ensure!(
        load(store, &id, expires).await?.is_none(),
        "loaded at its expiry instant"
    );
    ensure!(
        load(store, &id, t.at(60)).await?.is_none(),
        "loaded 50 minutes after expiry"
    );
    // Loading at a later `now` must not have destroyed the record for an earlier one.
    ensure!(
        load(store, &id, t.now).await?.is_some(),
        "a later `now` removed the record"
    );
    op("delete", store.delete(&id).await)
}

async fn touch_extends<S: Store>(store: &S, t: &Times) -> CaseResult {
    let (id, record) = create(store, b"{\"k\":1}".to_vec(), t.at(10)).await?;
    op("touch", store.touch(&id, t.at(20)).await)?;
    let loaded = load(store, &id, t.at(15))
        .await?
        .ok_or("not loadable after the old expiry: touch did not extend")?;
    ensure!(
        loaded.expires_at == t.at(20),
        "expires_at is {}, touched to {}",
        loaded.expires_at,
        t.at(20)
    );
    ensure!(
        loaded.payload == record.payload,
        "touch changed the payload"
    );
    ensure!(
        loaded.version == record.version,
        "touch changed the version"
    );
    ensure!(
        load(store, &id, t.at(20)).await?.is_none(),
        "loaded after the new expiry"
    );
    op("delete", store.delete(&id).await)
}

async fn delete<S: Store>(store: &S, t: &Times) -> CaseResult {
    let (id, _) = create(store, b"{}".to_vec(), t.at(10)).await?;
    let (other, _) = create(store, b"{}".to_vec(), t.at(10)).await?;
    op("delete", store.delete(&id).await)?;
    ensure!(
        load(store, &id, t.now).await?.is_none(),
        "loaded after delete"
    );
    ensure!(
        load(store, &other, t.now).await?.is_some(),
        "delete removed another session"
    );
    op("second delete", store.delete(&id).await)?;
    let saved = store
        .save(&id, &Record::new(b"{}".to_vec(), t.at(10), 2), 1)
        .await;
    ensure!(
        matches!(&saved, Err(e) if e.kind() == StoreErrorKind::NotFound),
        "save after delete gave {saved:?}, not NotFound"
    );
    op("delete", store.delete(&other).await)
}

async fn create_refuses_existing_id<S: Store>(store: &S, t: &Times) -> CaseResult {
    let (id, first) = create(store, b"{\"owner\":\"first\"}".to_vec(), t.at(10)).await?;
    let second = Record::new(b"{\"owner\":\"second\"}".to_vec(), t.at(30), 1);
    let again = store.create(&id, &second).await;
    ensure!(
        matches!(&again, Err(e) if e.kind() == StoreErrorKind::DuplicateId),
        "second create gave {again:?}, not DuplicateId"
    );
    let loaded = load(store, &id, t.now)
        .await?
        .ok_or("the first record is gone")?;
    ensure!(
        loaded == first,
        "the refused create overwrote the record: {loaded:?}"
    );
    op("delete", store.delete(&id).await)
}

async fn save_compare_and_set<S: Store>(store: &S, t: &Times) -> CaseResult {
    let (id, _) = create(store, b"{\"v\":1}".to_vec(), t.at(10)).await?;
    let v2 = Record::new(b"{\"v\":2}".to_vec(), t.at(20), 2);
    op("save at version 1", store.save(&id, &v2, 1).await)?;
    let loaded = load(store, &id, t.at(15)).await?.ok_or("gone after save")?;
    ensure!(loaded == v2, "saved {v2:?}, loaded {loaded:?}");
    let stale = Record::new(b"{\"v\":\"stale\"}".to_vec(), t.at(20), 2);
    let conflict = store.save(&id, &stale, 1).await;
    ensure!(
        matches!(&conflict, Err(e) if e.kind() == StoreErrorKind::Conflict),
        "a save on a stale version gave {conflict:?}, not Conflict"
    );
    let loaded = load(store, &id, t.now)
        .await?
        .ok_or("gone after a refused save")?;
    ensure!(
        loaded == v2,
        "a refused save changed the record: {loaded:?}"
    );
    let missing = store.save(&new_id()?, &v2, 1).await;
    ensure!(
        matches!(&missing, Err(e) if e.kind() == StoreErrorKind::NotFound),
        "a save of an unknown id gave {missing:?}, not NotFound"
    );
    op("delete", store.delete(&id).await)
}

async fn concurrent_saves<S: Store + Clone>(store: S, t: &Times) -> CaseResult {
    const SESSIONS: usize = 32;
    let mut ids = Vec::with_capacity(SESSIONS);
    for _ in 0..SESSIONS {
        ids.push(create(&store, b"{}".to_vec(), t.at(10)).await?.0);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (n, id) in ids.iter().cloned().enumerate() {
        let store = store.clone();
        let record = Record::new(format!("{{\"n\":{n}}}").into_bytes(), t.at(20), 2);
        tasks.spawn(async move {
            store
                .save(&id, &record, 1)
                .await
                .map_err(|e| format!("save {n}: {e}"))
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.map_err(|e| format!("a save task failed: {e}"))??;
    }
    for (n, id) in ids.iter().enumerate() {
        let loaded = load(&store, id, t.now)
            .await?
            .ok_or(format!("session {n} is gone"))?;
        let want = format!("{{\"n\":{n}}}").into_bytes();
        ensure!(
            loaded.payload == want && loaded.version == 2,
            "session {n} holds {loaded:?}"
        );
        op("delete", store.delete(id).await)?;
    }
    Ok(())
}

async fn values_up_to_1_mib<S: Store>(store: &S, t: &Times) -> CaseResult {
    // Every byte value, including NUL and invalid UTF-8: stores keep bytes, not text.
    let big: Vec<u8> = (0..1024 * 1024).map(|i: u32| (i % 251) as u8).collect();
    let (id, record) = create(store, big.clone(), t.at(10)).await?;
    let loaded = load(store, &id, t.now)
        .await?
        .ok_or("the 1 MiB record did not load")?;
    ensure!(loaded == record, "the 1 MiB payload changed on the way");
    let mut bigger = big;
    bigger.reverse();
    let v2 = Record::new(bigger, t.at(10), 2);
    op("save of 1 MiB", store.save(&id, &v2, 1).await)?;
    let loaded = load(store, &id, t.now)
        .await?
        .ok_or("gone after the 1 MiB save")?;
    ensure!(loaded == v2, "the saved 1 MiB payload changed on the way");
    op("delete", store.delete(&id).await)
}

async fn unicode<S: Store>(store: &S, t: &Times) -> CaseResult {
    let text = state(
        json!({
            "naïve café": "Zoë 😀 中文 עברית العربية \u{200d}\u{1F469}\u{200d}\u{1F4BB}",
            "emoji 🔑": ["🧪", "\u{10FFFF}", "\u{0}", "\"quoted\" \\ back\\slash"],
            "ключ": {"日本語": "テスト"}
        }),
        t,
    );
    let (id, _) = create(store, encode(&text, t.at(10))?, t.at(10)).await?;
    let loaded = load(store, &id, t.now)
        .await?
        .ok_or("the record did not load")?;
    let decoded = JsonCodec
        .decode(&loaded.payload)
        .map_err(|e| format!("decode: {e}"))?;
    ensure!(
        decoded == text,
        "unicode changed on the way: {:?}",
        decoded.data
    );
    op("delete", store.delete(&id).await)
}
