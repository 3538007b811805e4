//! # session-bench
//!
//! Benchmarks of the session layer side by side with its peers (tower-sessions on axum,
//! actix-session on actix-web), in one run on one machine. Not published.
//!
//! - `bench-server --variant NAME --port N [--redis URL]`: one HTTP server of one
//!   [`Variant`] on a single-threaded runtime, with the routes of every [`Scenario`].
//! - `bench-runner`: starts Redis, runs every variant's scenarios under `wrk` three rounds
//!   interleaved (server and load generator pinned to different cores), prints the table and
//!   writes its chart (an SVG of the ratios to bare, see [`runner::Chart`]).
//! - `bench-paired`: each variant against its bare server in alternating short slices, with
//!   the controls; prints the table and writes its chart.
//! - `bench-chart`: draws the chart from a saved markdown table.
//! - `memory_footprint`: bytes per session, sweep time and request latency during a sweep of
//!   the memory store.
//!
//! `bash bench/run.sh` builds in release mode and runs the comparison; see `bench/README.md`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// A benchmark measures wall-clock time: the workspace's ban on reading the clock (which keeps
// session-core deterministic) does not apply here.
#![allow(clippy::disallowed_methods)]

pub mod callgrind;
pub mod client;
pub mod in_process;
pub mod runner;
pub mod servers;
pub mod variant;
pub mod wrk;

pub use variant::{Framework, Layer, Scenario, Variant, VARIANTS};

/// The signing secret every server uses (a benchmark, not a deployment).
pub const SECRET: &str = "session-bench secret, 32 bytes or more, never deployed";

/// What a benchmark server or runner can fail with.
#[derive(Debug)]
pub enum BenchError {
    /// A command line argument is missing or wrong.
    Usage(String),
    /// Starting a server, a process or a connection failed.
    Io(std::io::Error),
    /// A session store could not be set up.
    Store(String),
    /// A child process did not behave (no answer, bad output).
    Child(String),
}

impl std::fmt::Display for BenchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Usage(msg) => write!(f, "usage: {msg}"),
            Self::Io(e) => write!(f, "i/o: {e}"),
            Self::Store(msg) => write!(f, "store: {msg}"),
            Self::Child(msg) => write!(f, "child process: {msg}"),
        }
    }
}

impl std::error::Error for BenchError {}

impl From<std::io::Error> for BenchError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}
