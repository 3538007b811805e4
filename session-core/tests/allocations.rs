//! Counts heap allocations of whole requests through the manager (a count, not a timing, so it
//! is deterministic). The figures are reported in the closing note of the core issue.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::FutureExt;
use session_core::{
    Config, HttpRequest, ImmediateStore, Record, SessionId, SessionManager, SessionTurns, Store,
    StoreError,
};
use time::macros::datetime;
use time::OffsetDateTime;

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const NOW: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);

/// Hands out one live record and accepts every write; when `immediate`, it says it never
/// waits, so the manager calls it without futures.
struct Fixed {
    immediate: bool,
}

impl ImmediateStore for Fixed {
    fn load(&self, _: &SessionId, _: OffsetDateTime) -> Result<Option<Record>, StoreError> {
        let payload = br#"{"d":{"n":1},"c":1893456000000}"#.to_vec();
        Ok(Some(Record::new(payload, NOW + time::Duration::HOUR, 1)))
    }
    fn create(&self, _: &SessionId, _: &Record) -> Result<(), StoreError> {
        Ok(())
    }
    fn save(&self, _: &SessionId, _: &Record, _: u64) -> Result<(), StoreError> {
        Ok(())
    }
    fn touch(&self, _: &SessionId, _: OffsetDateTime) -> Result<(), StoreError> {
        Ok(())
    }
    fn delete(&self, _: &SessionId) -> Result<(), StoreError> {
        Ok(())
    }
}

impl Store for Fixed {
    async fn load(&self, id: &SessionId, at: OffsetDateTime) -> Result<Option<Record>, StoreError> {
        ImmediateStore::load(self, id, at)
    }
    async fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        ImmediateStore::create(self, id, record)
    }
    async fn save(&self, id: &SessionId, record: &Record, v: u64) -> Result<(), StoreError> {
        ImmediateStore::save(self, id, record, v)
    }
    async fn touch(&self, id: &SessionId, at: OffsetDateTime) -> Result<(), StoreError> {
        ImmediateStore::touch(self, id, at)
    }
    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        ImmediateStore::delete(self, id)
    }
    fn immediate(&self) -> Option<&dyn ImmediateStore> {
        self.immediate.then_some(self as &dyn ImmediateStore)
    }
}

fn count(f: impl FnOnce()) -> usize {
    let before = ALLOCS.load(Ordering::SeqCst);
    f();
    ALLOCS.load(Ordering::SeqCst) - before
}

/// Allocations of an untouched request, an unchanged read and a read then write, through
/// a store that is or is not immediate, with requests of one session taking turns or not.
fn per_request(immediate: bool, turns: SessionTurns) -> [usize; 3] {
    // The fixed record expires an hour from now, as this lifetime would set it: no touch is
    // due, so `finish` has no store call to make after a read.
    let config = Config::builder()
        .secret("0123456789abcdef0123456789abcdef")
        .max_age(Some(std::time::Duration::from_secs(3600)))
        .session_turns(turns)
        .build()
        .unwrap();
    let mut value = String::new();
    session_core::encode_uri_component_into(
        &config.keyring().sign("ocxDLNaDwJzdRMHI3FV_WVi17yimGhMK"),
        &mut value,
    );
    let manager = SessionManager::new(config, Fixed { immediate });
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::COOKIE, format!("id={value}").parse().unwrap());
    let req = HttpRequest {
        headers: &headers,
        peer: None,
        tls: true,
    };

    // One request first, so that what the first one sets up once is not counted.
    let warm_up = manager.begin(&req, NOW);
    let _ = warm_up.get::<u64>("n").now_or_never();
    let _ = manager.finish(warm_up, 200, NOW).now_or_never();

    let untouched = count(|| {
        let s = manager.begin(&req, NOW);
        let _ = manager.finish(s, 200, NOW).now_or_never();
    });
    // Decisions only, store work excluded: the record the store hands over is its allocation.
    let unchanged = count(|| {
        let s = manager.begin(&req, NOW);
        let n: Option<u64> = s.get("n").now_or_never().unwrap().unwrap();
        assert_eq!(n, Some(1));
        let out = manager.finish(s, 200, NOW).now_or_never().unwrap().unwrap();
        assert_eq!(out.set_cookie(), None);
    });
    let written = count(|| {
        let s = manager.begin(&req, NOW);
        let n: Option<u64> = s.get("n").now_or_never().unwrap().unwrap();
        s.insert("n", n.unwrap_or(0) + 1)
            .now_or_never()
            .unwrap()
            .unwrap();
        let out = manager.finish(s, 200, NOW).now_or_never().unwrap().unwrap();
        // The cookie has a lifetime, so a change re-sends it.
        assert!(out.set_cookie().is_some());
    });
    [untouched, unchanged, written]
}

#[test]
fn allocations_per_request() {
    let [untouched, unchanged, written] = per_request(false, SessionTurns::Never);
    println!("allocations: untouched request {untouched}, unchanged read {unchanged}, read and write {written}");
    // Untouched: the handle's Arc (the cookie value is held inline).
    assert!(
        untouched <= 1,
        "untouched request allocated {untouched} times"
    );
    // Unchanged read, 5 today: the handle's Arc, the boxed store future and the record's
    // payload (the store's), the decoded map's node and its key. Ids, the cookie value, the
    // read-key note and `finish` (no store call to wait for) take none.
    assert!(unchanged <= 5, "unchanged read allocated {unchanged} times");

    // A store that never waits is called without boxed futures: the load's, the save's and
    // the one `finish` waits in are not made.
    let [untouched_now, unchanged_now, written_now] = per_request(true, SessionTurns::Never);
    println!("immediate store: untouched request {untouched_now}, unchanged read {unchanged_now}, read and write {written_now}");
    assert_eq!(untouched_now, untouched);
    assert_eq!(unchanged_now, unchanged - 1);
    assert_eq!(written_now, written - 3);

    // Taking turns (the default with a store that waits) costs a loaded request one
    // allocation, its session's queue, and an untouched request none.
    let [untouched_turns, unchanged_turns, written_turns] = per_request(false, SessionTurns::Auto);
    println!("with turns: untouched request {untouched_turns}, unchanged read {unchanged_turns}, read and write {written_turns}");
    assert_eq!(untouched_turns, untouched);
    assert_eq!(unchanged_turns, unchanged + 1);
    assert_eq!(written_turns, written + 1);
}
