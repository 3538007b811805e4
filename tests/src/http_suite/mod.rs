//! # The adapter conformance suite
//!
//! HTTP scenarios written once and run against a real server of every adapter, listening on
//! a loopback port and driven by a real HTTP client ([`reqwest`], raw headers, and a cookie
//! jar where a browser matters). Each scenario gets a fresh server, a fresh memory store
//! wrapped in [`Instrumented`](crate::support::Instrumented) (to count store calls and to make
//! the store fail) and a [`TestClock`](crate::support::TestClock) that the scenario moves to
//! reach timeouts without sleeping.
//!
//! Besides each scenario's own checks, the runner compares every adapter's `Set-Cookie`
//! headers, byte for byte, with the first adapter's: a value the scenario built itself
//! (a fixed id it seeded, a clearing cookie) is compared as is, and a random id is replaced
//! by `<value#N>` (numbered by first appearance, so "the same cookie again" is still checked).
//! A failure names the adapter and the scenario.
//!
//! ## The routes a test server serves
//!
//! | route | answer (200 `text/plain` unless said) |
//! |---|---|
//! | `GET /get/{key}` | the value as JSON, or `null` |
//! | `POST /set/{key}` (JSON body) | `ok` after inserting the value; 400 if the body is not JSON |
//! | `POST /incr/{key}` | the key's number plus one, after storing it (a read and a write in one request) |
//! | `POST /remove/{key}` | the removed value as JSON, or `null` |
//! | `POST /clear` | `ok` after removing every key |
//! | `POST /regenerate` | `ok` after giving the session a new id |
//! | `POST /destroy` | `ok` after destroying the session |
//! | `POST /max-age/{secs}` or `/max-age/none` | `ok` after setting the session's max-age |
//! | `GET /untouched` | `untouched`; never touches the session |
//! | `GET /id` | the session's id, or `null` |
//! | `GET /fail` | 500 after writing `failed = true` into the session |
//! | `GET /csrf` | a CSRF token of the session ([`session_core::Session::csrf_token`]) |
//! | `POST /login` | `ok` after [`session_core::Session::login`] as `u` (new id, new CSRF secret) |
//! | `GET /typed` | the session's [`Prefs`] as JSON, through the adapter's typed extractor (`Typed<Prefs>`): `{"theme":""}` when it has none or `prefs` holds another type |
//! | `GET`, `POST /guarded/...` | the route after `/guarded`, behind the adapter's CSRF guard (token in `x-csrf-token`) |
//! | `POST /guarded-form` (form body) | behind the CSRF guard (token in `x-csrf-token` or the `csrf_token` field): the form's `note` field as JSON, or `null` ([`form_reply`]) |
//! | anything else | 404, without touching the session |
//!
//! [`respond`] implements the table against a [`session_core::Session`]; a test server only
//! maps its framework's request onto it, puts its CSRF guard in front of `/guarded/...` and
//! `/guarded-form` (403 without a valid token; 413 for a form over
//! [`FORM_LIMIT`](session_core::kit::FORM_LIMIT); a form body read by the guard is put back
//! for `respond`, or parsed by the framework and answered with [`form_reply`]) and serves
//! `GET /typed` with its typed extractor and [`typed_reply`]. A [`session_core::SessionError`] that `respond`
//! returns must become the adapter's standard error response (503 when the store is down).
//!
//! ## Plugging in a new adapter
//!
//! An adapter written outside this project runs the same suite:
//!
//! 1. Depend on `session-tests` (as a dev-dependency) and on `tokio`; to compare your
//!    `Set-Cookie` headers with the project's adapters, enable its `servers` feature.
//! 2. Implement [`AdapterHarness`]: `spawn` starts your framework's server on `127.0.0.1:0`
//!    with your adapter wired to the given `SessionManager` and `Arc<dyn Clock>` (the adapter
//!    must read time only from that clock), serving every route above through [`respond`],
//!    and returns a [`ServerHandle`] with the bound address and a closure that stops it.
//! 3. Run the suite; put a reference adapter first so your transcripts are compared with it:
//!
//! ```no_run
//! # #[cfg(feature = "servers")]
//! # async fn run(mine: &dyn session_tests::http_suite::AdapterHarness) {
//! use session_tests::http_suite::{run, scenarios, servers};
//! let report = run(&[&servers::Axum, mine], &scenarios()).await;
//! println!("{}", report.summary());
//! report.assert_passed(); // panics naming each failing adapter and scenario
//! # }
//! ```
//!
//! [`run_one`] runs a single scenario on a single adapter, handy while debugging.
//! The reference harnesses are in the `servers` module (feature `servers`), one short file each.

mod context;
mod harness;
mod raw;
mod routes;
mod runner;
#[macro_use]
mod scenarios;
#[cfg(feature = "servers")]
pub mod servers;

pub use context::{base_config, encode, Ctx, Req, Resp, OLD_SECRET, SECRET};
pub use harness::{AdapterHarness, ServerHandle};
pub use raw::{RawReq, RawResp};
pub use routes::{form_reply, respond, typed_reply, Prefs, RouteReply};
pub use runner::{run, run_one, Failure, Report, Scenario};
pub use scenarios::all as scenarios;
