//! A store's server fails while clients hit every adapter: the outage scenario of
//! `faults.rs`, the log capture it checks, and the servers it stops.
#![allow(dead_code)]

pub mod capture;
pub mod redis;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use session_core::{Codec, JsonCodec, SessionId, Store};
use session_tests::store_suite::Outage;
use tokio::sync::Mutex;

use crate::traffic::client::{apply, Http, Reply};
use crate::traffic::{adapters, config, instant, serve, system_clock};

/// How much longer than the store's timeout a failing request may take (scheduling, and a
/// request that loads in time and then fails to save).
pub const SLACK: Duration = Duration::from_millis(1500);
/// How long the adapters may take to serve again once the server is back.
pub const RECOVERY: Duration = Duration::from_secs(20);
/// Clients per adapter.
pub const CLIENTS: usize = 8;
/// How long the server stays away: several store timeouts.
const OUTAGE: Duration = Duration::from_secs(2);

/// The faults tests run one at a time: each checks the process's captured logs, and a
/// latency bound is only meaningful when the tests do not compete for the two cores.
pub static SERIAL: Mutex<()> = Mutex::const_new(());

/// How the server goes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Killed or cut: refused and reset connections.
    Down,
    /// Hung: connections stay open, nothing answers.
    Hung,
}

/// One client's session at the end, for the direct look at the store.
#[derive(Debug)]
pub struct Ending {
    pub adapter: &'static str,
    pub id: String,
    pub value: Value,
}

/// What one adapter saw.
#[derive(Debug, Default)]
struct Seen {
    ok: usize,
    unavailable: usize,
    /// Writes refused as conflicting with an earlier write of the same client that failed
    /// (503) but landed later: a hung server runs what it was sent once it resumes.
    conflicts: usize,
    /// The longest the final three requests took, tries again on 503 included: a store that
    /// fails again after serving again shows here.
    max_final_checks: Duration,
    max_unavailable: Duration,
    max_any: Duration,
    problems: Vec<String>,
}

struct Shared {
    stop: AtomicBool,
    back: OnceLock<Instant>,
    recovered: AtomicUsize,
    last_recovery: std::sync::Mutex<Duration>,
}

/// Starts every adapter over `store`, sets `CLIENTS` clients per adapter reading and writing
/// their own session, takes the server away (`mode`) for a while, brings it back, and checks:
/// every failed request was a 503 within `timeout` + [`SLACK`], nothing hung or reset, each
/// adapter logged the typed cause, every client recovered its session with its data. Returns
/// every client's session for the caller to read from the store directly.
pub async fn outage_under_traffic<S: Store + Clone>(
    backend: &str,
    outage: &mut impl Outage,
    store: S,
    timeout: Duration,
    mode: Mode,
) -> Vec<Ending> {
    capture::start();
    let mut servers = Vec::new();
    for harness in adapters() {
        let server = serve(harness, config(), store.clone(), system_clock()).await;
        servers.push((harness.name(), server));
    }
    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        back: OnceLock::new(),
        recovered: AtomicUsize::new(0),
        last_recovery: std::sync::Mutex::new(Duration::ZERO),
    });
    // One marker per run, so rows of an earlier run (PostgreSQL keeps them) never match.
    let run = SessionId::generate().unwrap().as_str()[..8].to_owned();
    let mut clients = tokio::task::JoinSet::new();
    for (adapter, server) in &servers {
        let http = Http::new(server.addr());
        for n in 0..CLIENTS {
            let marker = format!("{adapter}-{n}-{run}");
            clients.spawn(client(http.clone(), adapter, marker, shared.clone()));
        }
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    match mode {
        Mode::Down => outage.stop().await,
        Mode::Hung => outage.stall().await,
    }
    tokio::time::sleep(OUTAGE).await;
    match mode {
        Mode::Down => outage.start().await,
        Mode::Hung => outage.resume().await,
    }
    shared.back.set(instant()).unwrap();
    let total = servers.len() * CLIENTS;
    let waiting = instant();
    while shared.recovered.load(Ordering::SeqCst) < total {
        assert!(
            waiting.elapsed() < RECOVERY,
            "{backend}: only {} of {total} clients served again {RECOVERY:?} after the server came back",
            shared.recovered.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let recovery = *shared.last_recovery.lock().unwrap();
    // What the adapters log after this point came after recovery (a relapse, or a request
    // already under way): printed below with its cause.
    let logged_before_relapse = capture::lines().len();
    // A little healthy traffic after the recovery, then the final checks.
    tokio::time::sleep(Duration::from_millis(300)).await;
    shared.stop.store(true, Ordering::SeqCst);

    let mut seen: Vec<(&'static str, Seen)> = Vec::new();
    let mut endings = Vec::new();
    while let Some(done) = clients.join_next().await {
        let (adapter, client_seen, ending) = done.expect("a client panicked");
        endings.push(ending);
        match seen.iter_mut().find(|(a, _)| *a == adapter) {
            Some((_, total)) => merge(total, client_seen),
            None => seen.push((adapter, client_seen)),
        }
    }
    let logs = capture::lines();
    print_relapse(
        backend,
        mode,
        &logs[logged_before_relapse.min(logs.len())..],
    );
    for (adapter, s) in &seen {
        println!(
            "{backend} {mode:?} via {adapter}: {} ok, {} × 503 (slowest {:.0?}), {} × 409 after a failed write landed late, slowest request {:.0?}, all clients served again {:.0?} after the server came back, final checks took {:.0?}",
            s.ok, s.unavailable, s.max_unavailable, s.conflicts, s.max_any, recovery, s.max_final_checks
        );
        assert!(
            s.problems.is_empty(),
            "{backend} {mode:?} via {adapter}:\n{}",
            s.problems.join("\n")
        );
        assert!(
            s.unavailable > 0,
            "{backend} {mode:?} via {adapter}: no request failed during the outage"
        );
        assert!(
            s.max_unavailable <= timeout + SLACK,
            "{backend} {mode:?} via {adapter}: a 503 took {:?}, over the {timeout:?} store timeout",
            s.max_unavailable
        );
        let target = format!("session_{}", adapter.trim_end_matches("-web"));
        let logged = logs.iter().find(|line| {
            line.contains(&target)
                && (line.contains("session store timed out")
                    || (mode == Mode::Down && line.contains("session store unavailable")))
        });
        println!("  logged: {}", logged.map_or("", |l| l.as_str()));
        assert!(
            logged.is_some(),
            "{backend} {mode:?} via {adapter}: no log line from {target} names the store failure; {} lines captured, e.g. {:?}",
            logs.len(),
            logs.first()
        );
    }
    drop(servers);
    endings
}

/// The store failures logged after every client was served again (the final checks try
/// those requests again), so that a store that fails again after recovering shows its cause.
fn print_relapse(backend: &str, mode: Mode, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    println!(
        "{backend} {mode:?}: {} log lines after every client was served again (relapse or late), e.g.:",
        lines.len()
    );
    for line in lines.iter().take(3) {
        println!("  {line}");
    }
}

fn merge(total: &mut Seen, one: Seen) {
    total.ok += one.ok;
    total.unavailable += one.unavailable;
    total.conflicts += one.conflicts;
    total.max_final_checks = total.max_final_checks.max(one.max_final_checks);
    total.max_unavailable = total.max_unavailable.max(one.max_unavailable);
    total.max_any = total.max_any.max(one.max_any);
    total.problems.extend(one.problems);
}

/// One client: logs in, then alternates reads and writes of its own session until told to
/// stop, checking every answer; then checks its session once more and returns it.
async fn client(
    http: Http,
    adapter: &'static str,
    marker: String,
    shared: Arc<Shared>,
) -> (&'static str, Seen, Ending) {
    let mut seen = Seen::default();
    let mut cookie = None;
    // Before the outage too a busy store may answer a 503 within its short timeout (all
    // clients log in at once): that is the right answer, so try again for a while.
    let mut tries = 0;
    let login = loop {
        let body = json!({"o": marker, "n": 0}).to_string();
        let login = http.post("/set/m", None, Some(body)).await.unwrap();
        tries += 1;
        if login.status != 503 || tries == 40 {
            break login;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(login.status, 200, "{adapter}: login: {}", login.body);
    apply(&mut cookie, &login);
    // Writes carry increasing numbers; a failed write may or may not have landed, so a read
    // may show anything from the last acknowledged number to the last attempted one.
    let (mut acked, mut attempted) = (0_u64, 0_u64);
    let mut turn = 0_u64;
    let mut recovered = false;
    while !shared.stop.load(Ordering::SeqCst) {
        turn += 1;
        let sent = instant();
        let write = turn.is_multiple_of(2);
        let result = if write {
            attempted += 1;
            let body = json!({"o": marker, "n": attempted}).to_string();
            http.post("/set/m", cookie.as_deref(), Some(body)).await
        } else {
            http.get("/get/m", cookie.as_deref()).await
        };
        let reply = match result {
            Ok(reply) => reply,
            Err(err) => {
                seen.problems.push(format!(
                    "{adapter} {marker}: transport error (hang or reset): {err}"
                ));
                continue;
            }
        };
        seen.max_any = seen.max_any.max(reply.took);
        match reply.status {
            200 => {
                seen.ok += 1;
                apply(&mut cookie, &reply);
                if write {
                    acked = attempted;
                } else if let Some(n) = check(&reply, &marker, acked, attempted, &mut seen) {
                    acked = n;
                }
                if !recovered && shared.back.get().is_some_and(|back| sent >= *back) {
                    recovered = true;
                    let took = shared.back.get().map_or(Duration::ZERO, Instant::elapsed);
                    let mut last = shared.last_recovery.lock().unwrap();
                    *last = (*last).max(took);
                    shared.recovered.fetch_add(1, Ordering::SeqCst);
                }
            }
            503 => {
                seen.unavailable += 1;
                seen.max_unavailable = seen.max_unavailable.max(reply.took);
            }
            // This write loaded the session before an earlier, unacknowledged write of the
            // same key landed; saving over it would lose that write, so it is refused. Right
            // only while an earlier write's fate is unknown.
            409 if write && attempted - 1 > acked => seen.conflicts += 1,
            status => seen.problems.push(format!(
                "{adapter} {marker}: {status} {} (only 200 or 503 are right)",
                reply.body
            )),
        }
        // Keep the failures fast but not a busy loop.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The session survived the outage with this client's data, and takes writes again. The
    // store may still be working off what queued while its server hung, so a 503 here is
    // tried again, up to RECOVERY (the recovery time itself is measured above).
    let finals = instant();
    let reply = until_served(&[503], || http.get("/get/m", cookie.as_deref())).await;
    check(&reply, &marker, acked, attempted, &mut seen);
    let last = json!({"o": marker, "n": attempted + 1});
    let reply = until_served(&[503, 409], || {
        http.post("/set/m", cookie.as_deref(), Some(last.to_string()))
    })
    .await;
    assert_eq!(reply.status, 200, "{adapter} {marker}: final write");
    let reply = until_served(&[503], || http.get("/get/m", cookie.as_deref())).await;
    seen.max_final_checks = finals.elapsed();
    let value: Value = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
    if value != last {
        seen.problems.push(format!(
            "{adapter} {marker}: final read {value}, wrote {last}"
        ));
    }
    let id = http.get("/id", cookie.as_deref()).await.unwrap().body;
    (
        adapter,
        seen,
        Ending {
            adapter,
            id,
            value: last,
        },
    )
}

/// Sends until the answer's status is not one of `again`, for at most [`RECOVERY`]. Reads
/// try again on 503 only; a write also on 409, which means an earlier write that failed (a
/// 503 in the loop, or an attempt here) landed late, and sending the same request again is
/// what a client does then.
async fn until_served<F, Fut>(again: &[u16], mut send: F) -> Reply
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Reply, reqwest::Error>>,
{
    let started = instant();
    loop {
        let reply = send().await.expect("the server answers");
        if !again.contains(&reply.status) || started.elapsed() > RECOVERY {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks a read: this client's marker, a number it wrote and no older than one it saw
/// acknowledged. Returns the number read.
fn check(reply: &Reply, marker: &str, acked: u64, attempted: u64, seen: &mut Seen) -> Option<u64> {
    let value: Value = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
    let n = value["n"].as_u64();
    let fine = reply.status == 200
        && value["o"] == marker
        && n.is_some_and(|n| (acked..=attempted).contains(&n));
    if !fine {
        seen.problems.push(format!(
            "{marker}: read {} {}, expected n in {acked}..={attempted} (lost or crossed session)",
            reply.status, reply.body
        ));
    }
    n
}

/// Decodes a stored payload with the default codec and returns its `m` value.
pub fn stored_value(payload: &[u8]) -> Result<Value, String> {
    let state = JsonCodec.decode(payload).map_err(|e| e.to_string())?;
    state
        .data
        .get("m")
        .cloned()
        .ok_or_else(|| format!("no `m` in {:?}", state.data))
}

/// Checks that the store holds exactly `endings`, each decoding to its client's last value.
/// `stored` maps a session id to its stored payload.
pub fn assert_stored(backend: &str, endings: &[Ending], stored: &[(String, Vec<u8>)]) {
    for ending in endings {
        let Some((_, payload)) = stored.iter().find(|(id, _)| *id == ending.id) else {
            panic!(
                "{backend}: {}'s session {} is not in the store",
                ending.adapter, ending.id
            );
        };
        let value = stored_value(payload)
            .unwrap_or_else(|e| panic!("{backend}: session {} does not decode: {e}", ending.id));
        assert_eq!(
            value, ending.value,
            "{backend}: session {} holds the wrong data",
            ending.id
        );
    }
}
