//! Counts heap allocations of whole requests through the manager (a count, not a timing, so it
//! is deterministic). The figures are reported in the closing note of the core issue.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::FutureExt;
use session_core::{Config, HttpRequest, Record, SessionId, SessionManager, Store, StoreError};
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

struct Fixed;

impl Store for Fixed {
    async fn load(&self, _: &SessionId, _: OffsetDateTime) -> Result<Option<Record>, StoreError> {
        let payload = br#"{"d":{"n":1},"c":1893456000000}"#.to_vec();
        Ok(Some(Record::new(payload, NOW + time::Duration::HOUR, 1)))
    }
    async fn create(&self, _: &SessionId, _: &Record) -> Result<(), StoreError> {
        Ok(())
    }
    async fn save(&self, _: &SessionId, _: &Record, _: u64) -> Result<(), StoreError> {
        Ok(())
    }
    async fn touch(&self, _: &SessionId, _: OffsetDateTime) -> Result<(), StoreError> {
        Ok(())
    }
    async fn delete(&self, _: &SessionId) -> Result<(), StoreError> {
        Ok(())
    }
}

fn count(f: impl FnOnce()) -> usize {
    let before = ALLOCS.load(Ordering::SeqCst);
    f();
    ALLOCS.load(Ordering::SeqCst) - before
}

#[test]
fn allocations_per_request() {
    // The fixed record expires an hour from now, as this lifetime would set it: no touch is
    // due, so `finish` has no store call to make.
    let config = Config::builder()
        .secret("0123456789abcdef0123456789abcdef")
        .max_age(Some(std::time::Duration::from_secs(3600)))
        .build()
        .unwrap();
    let mut value = String::new();
    session_core::encode_uri_component_into(
        &config.keyring().sign("ocxDLNaDwJzdRMHI3FV_WVi17yimGhMK"),
        &mut value,
    );
    let manager = SessionManager::new(config, Fixed);
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::COOKIE, format!("id={value}").parse().unwrap());
    let req = HttpRequest {
        headers: &headers,
        peer: None,
        tls: true,
    };

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
    println!("allocations: untouched request {untouched}, unchanged read {unchanged}");
    // Untouched: the handle's Arc (the cookie value is held inline).
    assert!(
        untouched <= 1,
        "untouched request allocated {untouched} times"
    );
    // Unchanged read, 5 today: the handle's Arc, the boxed store future and the record's
    // payload (the store's), the decoded map's node and its key. Ids, the cookie value, the
    // read-key note and `finish` (no store call to wait for) take none.
    assert!(unchanged <= 5, "unchanged read allocated {unchanged} times");
}
