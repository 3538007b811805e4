//! Where the test servers are, and what to do when one is missing.

use std::fmt::Display;

/// Whether this is a CI run (`CI=true` or `CI=1`): there, every backend's suite must run,
/// and a server that cannot be reached fails the test instead of skipping it.
///
/// ```
/// let _strict = session_tests::store_suite::in_ci();
/// ```
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The value of the environment variable `var`, or `default` when it is unset or empty.
///
/// The project's tests read `SESSION_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`),
/// `SESSION_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`) and
/// `SESSION_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`).
///
/// ```
/// let url = session_tests::store_suite::test_url("SESSION_TEST_UNSET_FOR_DOCS", "redis://127.0.0.1");
/// assert_eq!(url, "redis://127.0.0.1");
/// ```
pub fn test_url(var: &str, default: &str) -> String {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => url,
        _ => default.to_owned(),
    }
}

/// Unwraps the result of reaching a backend. On failure: in CI ([`in_ci`]) it panics, so a
/// suite can never be skipped silently; elsewhere it prints a notice and returns `None`, so
/// the test can return early.
///
/// ```
/// let reached: Result<u8, &str> = Err("connection refused");
/// if !session_tests::store_suite::in_ci() {
///     assert_eq!(session_tests::store_suite::or_skip("redis", reached), None);
/// }
/// ```
pub fn or_skip<T, E: Display>(backend: &str, reached: Result<T, E>) -> Option<T> {
    match reached {
        Ok(value) => Some(value),
        Err(err) if in_ci() => {
            panic!("{backend} is unreachable and CI=true forbids skipping its suite: {err}")
        }
        Err(err) => {
            eprintln!("NOTICE: skipping the {backend} store tests: {backend} is unreachable ({err}); set CI=true to make this a failure");
            None
        }
    }
}
