//! The user-index cases: stores that implement [`Store::user_sessions`] and
//! [`Store::delete_user_sessions`] must pass them.

use session_core::{Record, SessionId, Store};
use time::OffsetDateTime;

/// The names of the user-index cases, in the order [`run_user_index_suite`] runs them.
pub const USER_INDEX_CASES: &[&str] = &[
    "user_round_trips",
    "user_sessions_lists_live_only",
    "delete_user_sessions",
    "user_ids_compare_exactly",
];

type CaseResult = Result<(), String>;

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Runs every case of [`USER_INDEX_CASES`] against `store` and panics with the list of
/// failures. Returns the number of cases that passed.
///
/// ```no_run
/// # async fn run() {
/// let n = session_tests::store_suite::run_user_index_suite("memory", session_stores::MemoryStore::new()).await;
/// assert_eq!(n, session_tests::store_suite::USER_INDEX_CASES.len());
/// # }
/// ```
pub async fn run_user_index_suite<S: Store + Clone>(store_name: &str, store: S) -> usize {
    let mut failures = Vec::new();
    for case in USER_INDEX_CASES {
        if let Err(why) = run(case, &store).await {
            failures.push(format!("store `{store_name}`, case `{case}`: {why}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} user-index cases failed:\n{}",
        failures.len(),
        USER_INDEX_CASES.len(),
        failures.join("\n")
    );
    USER_INDEX_CASES.len()
}

async fn run<S: Store>(case: &str, store: &S) -> CaseResult {
    let now = now();
    match case {
        "user_round_trips" => user_round_trips(store, now).await,
        "user_sessions_lists_live_only" => lists_live_only(store, now).await,
        "delete_user_sessions" => delete_user_sessions(store, now).await,
        "user_ids_compare_exactly" => user_ids_compare_exactly(store, now).await,
        other => Err(format!("no such case `{other}`")),
    }
}

// Near the real time, as in the main suite, so that Redis' own TTLs keep the records for
// the case and drop them soon after.
#[allow(clippy::disallowed_methods)]
fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    let millis = now.unix_timestamp_nanos() / 1_000_000 * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(millis).unwrap_or(now)
}

fn unique_user(tag: &str) -> Result<String, String> {
    let id = SessionId::generate().map_err(|e| e.to_string())?;
    Ok(format!("{tag}-{}", &id.as_str()[..12]))
}

fn op<T>(what: &str, result: Result<T, session_core::StoreError>) -> Result<T, String> {
    result.map_err(|e| format!("{what} failed: {e} ({:?})", e.kind()))
}

async fn create<S: Store>(
    store: &S,
    user: Option<&str>,
    expires_at: OffsetDateTime,
) -> Result<SessionId, String> {
    let id = SessionId::generate().map_err(|e| e.to_string())?;
    let record = Record::new(b"{}".to_vec(), expires_at, 1).with_user(user.map(str::to_owned));
    op("create", store.create(&id, &record).await)?;
    Ok(id)
}

async fn listed<S: Store>(
    store: &S,
    user: &str,
    now: OffsetDateTime,
) -> Result<Vec<String>, String> {
    let mut ids: Vec<String> = op("user_sessions", store.user_sessions(user, now).await)?
        .into_iter()
        .map(|(id, _)| id.as_str().to_owned())
        .collect();
    ids.sort();
    Ok(ids)
}

fn sorted(ids: &[&SessionId]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|id| id.as_str().to_owned()).collect();
    ids.sort();
    ids
}

async fn user_round_trips<S: Store>(store: &S, now: OffsetDateTime) -> CaseResult {
    let user = unique_user("ann")?;
    let expires = now + time::Duration::minutes(10);
    let id = create(store, Some(&user), expires).await?;
    let loaded = op("load", store.load(&id, now).await)?.ok_or("did not load")?;
    ensure!(
        loaded.user.as_deref() == Some(user.as_str()),
        "create lost the user: {:?}",
        loaded.user
    );
    let other = unique_user("bob")?;
    let rebound = Record::new(b"{\"k\":1}".to_vec(), expires, 2).with_user(Some(other.clone()));
    op("save", store.save(&id, &rebound, 1).await)?;
    let loaded = op("load", store.load(&id, now).await)?.ok_or("did not load")?;
    ensure!(
        loaded == rebound,
        "save: loaded {loaded:?}, saved {rebound:?}"
    );
    ensure!(
        listed(store, &user, now).await?.is_empty(),
        "still listed under the old user"
    );
    ensure!(
        listed(store, &other, now).await? == sorted(&[&id]),
        "not listed under the new user"
    );
    let anonymous = Record::new(b"{}".to_vec(), expires, 3);
    op("save", store.save(&id, &anonymous, 2).await)?;
    let loaded = op("load", store.load(&id, now).await)?.ok_or("did not load")?;
    ensure!(
        loaded.user.is_none(),
        "unbinding did not stick: {:?}",
        loaded.user
    );
    ensure!(
        listed(store, &other, now).await?.is_empty(),
        "listed after unbinding"
    );
    op("delete", store.delete(&id).await)
}

async fn lists_live_only<S: Store>(store: &S, now: OffsetDateTime) -> CaseResult {
    let user = unique_user("cat")?;
    let later = now + time::Duration::minutes(10);
    let a = create(store, Some(&user), later).await?;
    let b = create(store, Some(&user), later).await?;
    let short = create(store, Some(&user), now + time::Duration::minutes(2)).await?;
    let deleted = create(store, Some(&user), later).await?;
    let stranger = create(store, Some(&unique_user("dan")?), later).await?;
    let anonymous = create(store, None, later).await?;
    op("delete", store.delete(&deleted).await)?;
    let all = listed(store, &user, now).await?;
    ensure!(all == sorted(&[&a, &b, &short]), "listed {all:?}");
    // Three minutes on, the short one has expired (whether or not the backend dropped it).
    let in_three = listed(store, &user, now + time::Duration::minutes(3)).await?;
    ensure!(
        in_three == sorted(&[&a, &b]),
        "listed after an expiry: {in_three:?}"
    );
    let records = op("user_sessions", store.user_sessions(&user, now).await)?;
    ensure!(
        records
            .iter()
            .all(|(_, r)| r.user.as_deref() == Some(user.as_str()) && r.version == 1),
        "listed records lost their user or version"
    );
    ensure!(
        listed(store, "nobody-at-all", now).await?.is_empty(),
        "an unknown user has sessions"
    );
    for id in [a, b, short, stranger, anonymous] {
        op("delete", store.delete(&id).await)?;
    }
    Ok(())
}

async fn delete_user_sessions<S: Store>(store: &S, now: OffsetDateTime) -> CaseResult {
    let user = unique_user("eve")?;
    let later = now + time::Duration::minutes(10);
    let keep = create(store, Some(&user), later).await?;
    let x = create(store, Some(&user), later).await?;
    let y = create(store, Some(&user), later).await?;
    let stranger = create(store, Some(&unique_user("fay")?), later).await?;
    let n = op(
        "delete_user_sessions",
        store.delete_user_sessions(&user, Some(&keep)).await,
    )?;
    ensure!(
        n == 2,
        "deleted {n} sessions, expected 2 (all but the kept one)"
    );
    ensure!(
        op("load", store.load(&x, now).await)?.is_none(),
        "a revoked session still loads"
    );
    ensure!(
        op("load", store.load(&y, now).await)?.is_none(),
        "a revoked session still loads"
    );
    ensure!(
        op("load", store.load(&keep, now).await)?.is_some(),
        "the kept session was deleted"
    );
    ensure!(
        op("load", store.load(&stranger, now).await)?.is_some(),
        "another user's session was deleted"
    );
    ensure!(
        listed(store, &user, now).await? == sorted(&[&keep]),
        "listing after revoking others"
    );
    let n = op(
        "delete_user_sessions",
        store.delete_user_sessions(&user, None).await,
    )?;
    ensure!(n == 1, "deleted {n} sessions, expected the last one");
    ensure!(
        op("load", store.load(&keep, now).await)?.is_none(),
        "log out everywhere left one"
    );
    ensure!(
        listed(store, &user, now).await?.is_empty(),
        "listed after log out everywhere"
    );
    op("delete", store.delete(&stranger).await)
}

/// User ids that differ only in case, accents or trailing spaces are different users: a
/// case- or accent-insensitive comparison would let one user list and revoke another's
/// sessions.
async fn user_ids_compare_exactly<S: Store>(store: &S, now: OffsetDateTime) -> CaseResult {
    let ann = unique_user("ann")?;
    let suffix = ann.trim_start_matches("ann");
    let others = [
        format!("Ann{suffix}"),
        format!("ANN{}", suffix.to_uppercase()),
        format!("ÅNN{suffix}"),
        format!("ann{suffix} "),
    ];
    let later = now + time::Duration::minutes(10);
    let own = create(store, Some(&ann), later).await?;
    let mut theirs = Vec::new();
    for other in &others {
        theirs.push(create(store, Some(other), later).await?);
    }
    let listed_ann = listed(store, &ann, now).await?;
    ensure!(
        listed_ann == sorted(&[&own]),
        "{ann:?} lists {listed_ann:?}, expected only its own session"
    );
    for (other, id) in others.iter().zip(&theirs) {
        let listed_other = listed(store, other, now).await?;
        ensure!(
            listed_other == sorted(&[id]),
            "{other:?} lists {listed_other:?}, expected only its own session"
        );
    }
    let n = op(
        "delete_user_sessions",
        store.delete_user_sessions(&ann, None).await,
    )?;
    ensure!(n == 1, "revoking {ann:?} deleted {n} sessions, expected 1");
    ensure!(
        op("load", store.load(&own, now).await)?.is_none(),
        "the revoked session still loads"
    );
    for (other, id) in others.iter().zip(&theirs) {
        ensure!(
            op("load", store.load(id, now).await)?.is_some(),
            "revoking {ann:?} deleted the session of {other:?}"
        );
        op("delete", store.delete(id).await)?;
    }
    Ok(())
}
