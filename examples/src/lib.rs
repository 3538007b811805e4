//! # session-examples
//!
//! Runnable examples of embedding [`session_core`] without a web framework. Each lives in
//! this crate's `examples/` directory and is built (and exercised by a test) in
//! `cargo test -p session-examples`:
//!
//! - `hyper_server`: a server on hyper 1 and hyper-util alone, using
//!   [`session_stores::MemoryStore`]. It shows the whole contract of an adapter: map the
//!   request head onto [`session_core::HttpRequest`], call
//!   [`session_core::SessionManager::begin`], run the handler with the
//!   [`session_core::Session`], call [`session_core::SessionManager::finish`] with the
//!   response status and append the outcome's headers. Run it with
//!   `cargo run -p session-examples --example hyper_server`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
