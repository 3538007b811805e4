//! The child processes of a run: the server under test and Redis.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::Settings;
use crate::variant::Variant;
use crate::BenchError;

/// A port that was free a moment ago.
///
/// ```
/// assert!(session_bench::runner::free_port().unwrap() > 0);
/// ```
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// Waits until `ready` holds, for at most `limit`.
fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A `bench-server` pinned to the server CPU; killed on drop.
pub struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts `variant` and waits until it answers `/untouched`.
    pub fn start(
        settings: &Settings,
        variant: &Variant,
        redis: Option<&str>,
    ) -> Result<Self, BenchError> {
        let port = free_port()?;
        let mut cmd = settings.pinned(&settings.server_cpu, settings.bin_dir.join("bench-server"));
        cmd.args(["--variant", variant.name, "--port", &port.to_string()]);
        if let Some(url) = redis {
            cmd.args(["--redis", url]);
        }
        let child = cmd.stdout(Stdio::null()).spawn()?;
        let mut server = Server { child, port };
        let up = wait_until(Duration::from_secs(20), || {
            crate::client::get(port, "/untouched", None).is_ok_and(|r| r.status == 200)
        });
        if !up || server.child.try_wait()?.is_some() {
            return Err(BenchError::Child(format!("{} did not start", variant.name)));
        }
        server.port = port;
        Ok(server)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// CPU time the server has used so far (user + system, every thread), in microseconds;
    /// `None` without /proc. Taken before and after a run, it gives the server's cost per
    /// request, which other load on the machine disturbs far less than req/s.
    pub fn cpu_micros(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // Fields after the command name, which is in parentheses and may contain spaces.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: f64 =
            fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        // Linux reports in USER_HZ, 100 per second on every architecture it supports.
        Some(ticks * 10_000.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `redis-server` of our own on a spare port, without persistence; killed on drop.
pub struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    /// Starts it pinned to the load CPU and waits for `PONG`.
    pub fn start(settings: &Settings) -> Result<Self, BenchError> {
        let port = free_port()?;
        let child = settings
            .pinned(&settings.load_cpu, "redis-server")
            .args(["--bind", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| BenchError::Child(format!("redis-server: {e}")))?;
        let redis = Redis { child, port };
        let pong = wait_until(Duration::from_secs(10), || {
            let Ok(mut s) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
                return false;
            };
            let mut buf = [0u8; 7];
            s.write_all(b"PING\r\n").is_ok()
                && s.read_exact(&mut buf).is_ok()
                && &buf == b"+PONG\r\n"
        });
        if !pong {
            return Err(BenchError::Child("redis-server did not answer".into()));
        }
        Ok(redis)
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
