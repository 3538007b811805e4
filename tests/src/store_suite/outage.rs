//! A server goes away and comes back: the store must fail fast with a typed error, then
//! recover by itself.

use std::future::Future;
use std::time::{Duration, Instant};

use session_core::{Record, SessionId, Store, StoreError, StoreErrorKind};
use time::OffsetDateTime;

/// Something that can take a store's server away and bring it back: a server process the
/// test owns ([`super::RedisServer`]) or a proxy in front of it ([`super::TcpProxy`]).
pub trait Outage {
    /// Makes the server unreachable (refused or dropped connections). Returns once it is.
    fn stop(&mut self) -> impl Future<Output = ()> + Send;
    /// Makes the server reachable again. Returns once it accepts connections.
    fn start(&mut self) -> impl Future<Output = ()> + Send;
    /// Keeps connections open but stops answering (a hung server). Returns once it is.
    fn stall(&mut self) -> impl Future<Output = ()> + Send;
    /// Answers again after [`Outage::stall`].
    fn resume(&mut self) -> impl Future<Output = ()> + Send;
}

/// How much longer than the store's timeout an operation may take to fail (scheduling).
const SLACK: Duration = Duration::from_millis(1500);

/// How long a store may take to work again once its server is back.
const RECOVERY: Duration = Duration::from_secs(20);

/// Stops the server under `store` and checks that every operation fails with
/// [`StoreErrorKind::Unavailable`] or [`StoreErrorKind::Timeout`] within `timeout` (the
/// store's configured operation timeout) plus a little; then starts it again and checks the
/// store works once more, without being rebuilt. Panics naming `store_name` on failure.
///
/// ```no_run
/// # async fn run(store: session_stores::RedisStore) {
/// use session_tests::store_suite::{run_outage_case, RedisServer};
/// let mut server = RedisServer::start().await.unwrap();
/// // ... connect `store` to server.url() with a 500 ms timeout ...
/// run_outage_case("redis", &store, &mut server, std::time::Duration::from_millis(500)).await;
/// # }
/// ```
pub async fn run_outage_case<S: Store>(
    store_name: &str,
    store: &S,
    server: &mut impl Outage,
    timeout: Duration,
) {
    let now = wall_now();
    let (id, _) = must(
        store_name,
        "create before the outage",
        create(store, now).await,
    );
    server.stop().await;
    for (what, result) in each_operation(store, &id, now).await {
        let (elapsed, result) = result;
        let err = result.err().unwrap_or_else(|| {
            panic!("store `{store_name}`, outage: {what} succeeded while the server was down")
        });
        assert!(
            err.is_unavailable(),
            "store `{store_name}`, outage: {what} failed with {:?}, not Unavailable/Timeout: {err}",
            err.kind()
        );
        assert!(
            elapsed <= timeout + SLACK,
            "store `{store_name}`, outage: {what} took {elapsed:?}, over its {timeout:?} timeout"
        );
    }
    server.start().await;
    recover(store_name, store, now).await;
}

/// Makes the server under `store` hang and checks that operations fail with
/// [`StoreErrorKind::Timeout`] after about `timeout`, then that the store works again once
/// the server answers. Panics naming `store_name` on failure.
///
/// ```no_run
/// # async fn run(store: session_stores::RedisStore, mut server: session_tests::store_suite::RedisServer) {
/// session_tests::store_suite::run_stall_case("redis", &store, &mut server, std::time::Duration::from_millis(500)).await;
/// # }
/// ```
pub async fn run_stall_case<S: Store>(
    store_name: &str,
    store: &S,
    server: &mut impl Outage,
    timeout: Duration,
) {
    let now = wall_now();
    let (id, _) = must(
        store_name,
        "create before the stall",
        create(store, now).await,
    );
    server.stall().await;
    for (what, (elapsed, result)) in each_operation(store, &id, now).await {
        let kind = result.as_ref().err().map(StoreError::kind);
        assert_eq!(
            kind,
            Some(StoreErrorKind::Timeout),
            "store `{store_name}`, stall: {what} gave {result:?}, not a Timeout"
        );
        assert!(
            elapsed <= timeout + SLACK,
            "store `{store_name}`, stall: {what} took {elapsed:?}, over its {timeout:?} timeout"
        );
    }
    server.resume().await;
    recover(store_name, store, now).await;
}

type Timed<T> = (Duration, Result<T, StoreError>);

async fn each_operation<S: Store>(
    store: &S,
    id: &SessionId,
    now: OffsetDateTime,
) -> Vec<(&'static str, Timed<()>)> {
    let record = Record::new(b"{}".to_vec(), now + Duration::from_secs(600), 2);
    let fresh = SessionId::generate().ok();
    vec![
        (
            "load",
            timed(async { store.load(id, now).await.map(drop) }).await,
        ),
        ("save", timed(store.save(id, &record, 1)).await),
        (
            "touch",
            timed(store.touch(id, now + Duration::from_secs(900))).await,
        ),
        ("delete", timed(store.delete(id)).await),
        (
            "create",
            timed(async {
                match &fresh {
                    Some(fresh) => store.create(fresh, &record).await,
                    None => Ok(()),
                }
            })
            .await,
        ),
    ]
}

/// Retries until the store answers again, then checks a full create/load/save/delete.
async fn recover<S: Store>(store_name: &str, store: &S, now: OffsetDateTime) {
    let probe = SessionId::generate().expect("randomness");
    let started = elapsed_since();
    loop {
        match store.load(&probe, now).await {
            Ok(_) => break,
            Err(err) if started.elapsed() > RECOVERY => {
                panic!("store `{store_name}` still failing {RECOVERY:?} after the server came back: {err}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let (id, record) = must(
        store_name,
        "create after recovery",
        create(store, now).await,
    );
    let loaded = must(
        store_name,
        "load after recovery",
        store.load(&id, now).await,
    );
    assert_eq!(
        loaded,
        Some(record),
        "store `{store_name}`: wrong record after recovery"
    );
    let v2 = Record::new(
        b"{\"after\":true}".to_vec(),
        now + Duration::from_secs(600),
        2,
    );
    must(
        store_name,
        "save after recovery",
        store.save(&id, &v2, 1).await,
    );
    must(store_name, "delete after recovery", store.delete(&id).await);
}

async fn create<S: Store>(
    store: &S,
    now: OffsetDateTime,
) -> Result<(SessionId, Record), StoreError> {
    let id = SessionId::generate().expect("randomness");
    let record = Record::new(
        b"{\"before\":true}".to_vec(),
        now + Duration::from_secs(600),
        1,
    );
    store.create(&id, &record).await?;
    Ok((id, record))
}

fn must<T>(store_name: &str, what: &str, result: Result<T, StoreError>) -> T {
    result.unwrap_or_else(|err| panic!("store `{store_name}`: {what} failed: {err}"))
}

async fn timed<T>(op: impl Future<Output = Result<T, StoreError>>) -> Timed<T> {
    let started = elapsed_since();
    let result = op.await;
    (started.elapsed(), result)
}

// Measuring how long a failure took is what this suite is for; the store itself never sees
// this clock.
#[allow(clippy::disallowed_methods)]
fn elapsed_since() -> Instant {
    Instant::now()
}

// Records must expire near the real time: a Redis server drops keys by its own clock.
#[allow(clippy::disallowed_methods)]
fn wall_now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    // Whole milliseconds: what stores keep.
    OffsetDateTime::from_unix_timestamp_nanos(now.unix_timestamp_nanos() / 1_000_000 * 1_000_000)
        .unwrap_or(now)
}
