//! # session-tests
//!
//! Suites written once and run against every store and every adapter, as public functions so
//! that a store or adapter written outside this project can run them too.
//!
//! - [`support`]: a controllable clock and store wrappers that count calls or fail on demand.
//! - [`http_suite`]: HTTP scenarios run against a real server of every adapter.
//! - [`store_suite`]: the store conformance suite, plus outage tools (own `redis-server`s, a
//!   loopback proxy to cut).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod http_suite;
pub mod store_suite;
pub mod support;
