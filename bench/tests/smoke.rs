//! The benchmark programs start and behave: a few variants answer their routes the same way,
//! and the memory benchmark runs on a small store.
// A benchmark measures wall-clock time: the workspace's ban on reading the clock (which keeps
// session-core deterministic) does not apply here.
#![allow(clippy::disallowed_methods)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use session_bench::client::{get, Reply};
use session_bench::runner::free_port;

struct Running(Child, u16);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(variant: &str) -> Running {
    let port = free_port().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_bench-server"))
        .args(["--variant", variant, "--port", &port.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let running = Running(child, port);
    let start = Instant::now();
    while get(port, "/untouched", None).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{variant} did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    running
}

fn ok(reply: Reply, body: &str) -> Reply {
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, body),
        "{reply:?}"
    );
    reply
}

/// `/new` makes a session; `/read` and `/rw` find it through the cookie.
fn check_session_routes(variant: &str) {
    let server = start(variant);
    let port = server.1;
    let new = ok(get(port, "/new", None).unwrap(), "1");
    let mut cookie = new.cookies.first().expect("a session cookie").clone();
    ok(get(port, "/read", Some(&cookie)).unwrap(), "1");
    let rw = ok(get(port, "/rw", Some(&cookie)).unwrap(), "2");
    // A cookie store sends the new state back, as a browser would keep it.
    if let Some(newer) = rw.cookies.first() {
        cookie = newer.clone();
    }
    ok(get(port, "/read", Some(&cookie)).unwrap(), "2");
    let untouched = ok(get(port, "/untouched", Some(&cookie)).unwrap(), "ok");
    assert!(
        untouched.cookies.is_empty(),
        "{variant}: untouched set a cookie"
    );
}

#[test]
fn our_servers_keep_the_counter_in_the_session() {
    for variant in ["ours-axum-memory", "ours-actix-memory"] {
        check_session_routes(variant);
    }
}

#[test]
fn peer_servers_behave_the_same() {
    for variant in ["towersessions-memory", "actixsession-cookie", "floor-axum"] {
        check_session_routes(variant);
    }
}

#[test]
fn bare_servers_answer_without_cookies() {
    for variant in ["bare-axum", "bare-actix"] {
        let server = start(variant);
        let reply = ok(get(server.1, "/untouched", None).unwrap(), "ok");
        assert!(reply.cookies.is_empty());
        ok(get(server.1, "/rw", None).unwrap(), "0");
    }
}

#[test]
fn redis_variants_refuse_to_start_without_redis() {
    let out = Command::new(env!("CARGO_BIN_EXE_bench-server"))
        .args(["--variant", "ours-axum-redis", "--port", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--redis"));
}

#[test]
fn memory_footprint_runs_on_a_small_store() {
    let out = Command::new(env!("CARGO_BIN_EXE_memory_footprint"))
        .env("SESSIONS", "2000")
        .env("EXPIRED", "200")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("sweep removed 200 expired sessions"),
        "{stdout}"
    );
    assert!(stdout.contains("1800 remain"), "{stdout}");
}

#[cfg(feature = "rocket")]
#[test]
fn rocket_servers_behave_the_same() {
    check_session_routes("ours-rocket-memory");
    let bare = start("bare-rocket");
    ok(get(bare.1, "/untouched", None).unwrap(), "ok");
}

#[cfg(feature = "warp")]
#[test]
fn warp_servers_behave_the_same() {
    check_session_routes("ours-warp-memory");
    let bare = start("bare-warp");
    ok(get(bare.1, "/untouched", None).unwrap(), "ok");
}

#[cfg(feature = "poem")]
#[test]
fn poem_servers_behave_the_same() {
    check_session_routes("ours-poem-memory");
    let bare = start("bare-poem");
    ok(get(bare.1, "/untouched", None).unwrap(), "ok");
}

#[cfg(feature = "salvo")]
#[test]
fn salvo_servers_behave_the_same() {
    check_session_routes("ours-salvo-memory");
    let bare = start("bare-salvo");
    ok(get(bare.1, "/untouched", None).unwrap(), "ok");
}
