//! # session-tests
//!
//! Suites written once and run against every store and every adapter, as public functions so
//! that a store or adapter written outside this project can run them too.
//!
//! - [`support`]: a controllable clock and store wrappers that count calls or fail on demand.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod support;
