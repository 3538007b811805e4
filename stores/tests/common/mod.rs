//! What the memory store's bound and spike tests share.
#![allow(dead_code)]

/// A session as a login form's CSRF token makes it: 61 bytes.
pub const CSRF_PAYLOAD: &[u8] =
    br#"{"d":{"csrf":"q8Zr2xWm4kT9vLp0sQe7bYd3nH5jUc1a"},"c":1893456000000}"#;

/// Resident set size in bytes, from /proc/self/statm.
pub fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("statm's second field is the resident page count");
    // The page size of every Linux target this runs on.
    pages * 4096
}
