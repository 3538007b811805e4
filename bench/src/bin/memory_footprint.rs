//! `memory_footprint`: the memory store with 1,000,000 live sessions of 200 bytes each.
//!
//! Prints the bytes the store allocates per session beyond the payload (counted exactly by a
//! counting global allocator, so allocator rounding is not included; RSS is printed beside
//! it), the time to sweep 100,000 expired sessions, and the latency of loads made on another
//! thread while the sweep runs, against the same loads without a sweep. Then every other
//! session expires: it prints the time to sweep them all and what the process still holds
//! (the store hands its memory back to the allocator; RSS shows what the allocator kept).
//!
//! `SESSIONS` and `EXPIRED` override the counts (the smoke test uses small ones).
// A benchmark measures wall-clock time: the workspace's ban on reading the clock (which keeps
// session-core deterministic) does not apply here.
#![allow(clippy::disallowed_methods)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use session_core::{Record, SessionId, Store};
use session_stores::MemoryStore;
use time::macros::datetime;
use time::OffsetDateTime;

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`, which upholds `GlobalAlloc`'s
// contract; the counter is only arithmetic on the sizes the caller passed.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same layout, forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const PAYLOAD_BYTES: usize = 200;

fn count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident set size in bytes, from /proc (0 where there is no /proc).
fn rss() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// A 200-byte payload shaped like a real session (JSON, the default codec's format).
fn payload() -> Vec<u8> {
    let head = r#"{"d":{"user":"u-0001234","roles":["reader","editor"],"cart":[17,42,99],"note":""#;
    let tail = r#""},"c":1893456000000}"#;
    let pad = PAYLOAD_BYTES - head.len() - tail.len();
    format!("{head}{}{tail}", "x".repeat(pad)).into_bytes()
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

const QUIET: u8 = 0;
const SWEEPING: u8 = 1;
const STOP: u8 = 2;

/// Loads random live sessions on another thread until `phase` is `STOP`, returning each
/// load's latency in nanoseconds, sorted, apart for loads started while `phase` was `QUIET`
/// and while it was `SWEEPING`.
fn loads(
    store: &MemoryStore,
    ids: &Arc<Vec<SessionId>>,
    now: OffsetDateTime,
    phase: &Arc<AtomicU8>,
) -> std::thread::JoinHandle<[Vec<u32>; 2]> {
    let (store, ids, phase) = (store.clone(), ids.clone(), phase.clone());
    std::thread::spawn(move || {
        let mut latencies = [Vec::with_capacity(1 << 20), Vec::with_capacity(1 << 20)];
        // A fixed-step walk over the ids: different shards each time, no RNG in the loop.
        let mut i = 0usize;
        loop {
            let during = phase.load(Ordering::Relaxed);
            if during == STOP {
                break;
            }
            i = (i + 7919) % ids.len();
            let start = Instant::now();
            let found = store.load(&ids[i], now).now_or_never();
            let nanos = start.elapsed().as_nanos();
            std::hint::black_box(found);
            latencies[usize::from(during)].push(u32::try_from(nanos).unwrap_or(u32::MAX));
        }
        for l in &mut latencies {
            l.sort_unstable();
        }
        latencies
    })
}

fn report(label: &str, latencies: &[u32]) {
    println!(
        "  {label:<16} {:>9} loads  p50 {:>7.2} us  p99 {:>7.2} us  p99.9 {:>8.2} us  max {:>9.2} us",
        latencies.len(),
        percentile(latencies, 0.50),
        percentile(latencies, 0.99),
        percentile(latencies, 0.999),
        percentile(latencies, 1.0),
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sessions = count("SESSIONS", 1_000_000);
    let expired = count("EXPIRED", 100_000).min(sessions);
    let now = datetime!(2030-01-01 0:00 UTC);
    let early = now + Duration::from_secs(60);
    let late = now + Duration::from_secs(86_400);
    let payload = payload();
    let soon = Record::new(payload.clone(), early, 1);
    let later = Record::new(payload, late, 1);

    // Everything but the store is allocated before the first reading.
    let ids: Vec<SessionId> = (0..sessions)
        .map(|_| SessionId::generate())
        .collect::<Result<_, _>>()?;
    let every = sessions.checked_div(expired).unwrap_or(usize::MAX);
    let store = MemoryStore::builder().unbounded().build();
    let (bytes_before, rss_before) = (ALLOCATED.load(Ordering::Relaxed), rss());

    let start = Instant::now();
    for (i, id) in ids.iter().enumerate() {
        // Every `every`-th session expires early: the expired ones are spread over all shards.
        let record = if i % every == 0 && i / every < expired {
            &soon
        } else {
            &later
        };
        store
            .create(id, record)
            .now_or_never()
            .ok_or("the memory store never waits")??;
    }
    let fill = start.elapsed();
    let bytes = ALLOCATED.load(Ordering::Relaxed) - bytes_before;
    let rss_delta = rss().saturating_sub(rss_before);
    let n = sessions.max(1) as f64;
    println!(
        "memory store, {sessions} sessions of {PAYLOAD_BYTES} bytes (256 shards, the default)"
    );
    println!("  filled in {:.2} s", fill.as_secs_f64());
    println!(
        "  allocated {:.1} MiB = {:.1} bytes/session = payload {PAYLOAD_BYTES} + {:.1} overhead (counting allocator)",
        bytes as f64 / 1048576.0,
        bytes as f64 / n,
        bytes as f64 / n - PAYLOAD_BYTES as f64
    );
    println!(
        "  RSS grew {:.1} MiB = {:.1} bytes/session (includes allocator rounding)",
        rss_delta as f64 / 1048576.0,
        rss_delta as f64 / n
    );

    // Loads of live sessions alone, then the same loads while a sweep runs.
    let ids = Arc::new(ids);
    let after = early + Duration::from_secs(1);
    let phase = Arc::new(AtomicU8::new(QUIET));
    let reader = loads(&store, &ids, after, &phase);
    std::thread::sleep(Duration::from_millis(300));
    phase.store(SWEEPING, Ordering::Relaxed);
    let start = Instant::now();
    let removed = store.sweep(after);
    let sweep = start.elapsed();
    phase.store(STOP, Ordering::Relaxed);
    let [quiet, busy] = reader.join().map_err(|_| "load thread panicked")?;
    println!(
        "  sweep removed {removed} expired sessions in {:.1} ms ({:.0} ns each); {} remain",
        sweep.as_secs_f64() * 1000.0,
        sweep.as_nanos() as f64 / removed.max(1) as f64,
        store.len()
    );
    println!("  load latency on another thread:");
    report("without sweep", &quiet);
    report("during sweep", &busy);
    if removed != expired {
        return Err(format!("expected {expired} expired sessions, swept {removed}").into());
    }

    // The rest expire: the store gives back what they took.
    drop((quiet, busy));
    let start = Instant::now();
    let rest = store.sweep(late);
    let sweep = start.elapsed();
    let held = ALLOCATED
        .load(Ordering::Relaxed)
        .saturating_sub(bytes_before);
    println!(
        "  sweep removed the other {rest} sessions in {:.1} ms; then {:.1} KiB allocated beyond \
         the empty store's (counting allocator), RSS {:.1} MiB above it (what the allocator kept)",
        sweep.as_secs_f64() * 1000.0,
        held as f64 / 1024.0,
        rss().saturating_sub(rss_before) as f64 / 1048576.0
    );
    Ok(())
}
