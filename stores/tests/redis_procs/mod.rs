//! `redis-server` processes that the TLS and Sentinel tests start themselves, on spare
//! loopback ports, and stop by their pid. A missing `redis-server` fails the test.
#![allow(dead_code)]

pub mod tls;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "session-stores-{name}-{}-{}",
            std::process::id(),
            spare_port()
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One `redis-server` process; killed (SIGKILL, by pid) on drop.
pub struct Proc {
    pub port: u16,
    args: Vec<String>,
    child: Option<Child>,
}

impl Proc {
    /// Runs `redis-server <args>` and waits until `port` accepts connections.
    pub fn start(port: u16, args: Vec<String>) -> Self {
        let mut proc = Self {
            port,
            args,
            child: None,
        };
        proc.spawn();
        proc
    }

    pub fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be on the PATH (apt-get install redis-server)");
        self.child = Some(child);
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "redis-server {:?} never listened on port {}",
                self.args,
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL by pid, and reap it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback port nobody listens on.
pub fn spare_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a spare loopback port")
        .port()
}

/// Runs `redis-cli -p <port> <args>` on 127.0.0.1 and returns its output.
pub fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stderr(Stdio::null())
        .output()
        .expect("redis-cli must be on the PATH");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The Sentinel tests' master name.
pub const MASTER: &str = "mymaster";

/// A `redis-server` on `port`, its files under `dir/name`, with no persistence, plus `extra`
/// arguments (`--replicaof`, say).
pub fn node(dir: &TempDir, name: &str, port: u16, extra: &[String]) -> Proc {
    let dir = dir.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let mut args: Vec<String> = [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        &dir.display().to_string(),
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .collect();
    args.extend_from_slice(extra);
    Proc::start(port, args)
}

/// A `redis-server --sentinel` watching the master on `master_port` (quorum 2, down after
/// 1 s, failover timeout 5 s).
pub fn sentinel(dir: &TempDir, index: usize, master_port: u16) -> Proc {
    sentinel_with(dir, index, master_port, "")
}

/// [`sentinel`] with `extra` lines in its configuration (`sentinel auth-pass ...`).
pub fn sentinel_with(dir: &TempDir, index: usize, master_port: u16, extra: &str) -> Proc {
    let port = spare_port();
    let home = dir.path().join(format!("sentinel-{index}"));
    std::fs::create_dir_all(&home).unwrap();
    let conf = home.join("sentinel.conf");
    std::fs::write(
        &conf,
        format!(
            "port {port}\nbind 127.0.0.1\ndir {home}\n\
             sentinel monitor {MASTER} 127.0.0.1 {master_port} 2\n\
             sentinel down-after-milliseconds {MASTER} 1000\n\
             sentinel failover-timeout {MASTER} 5000\n\
             sentinel parallel-syncs {MASTER} 1\n{extra}",
            home = home.display()
        ),
    )
    .unwrap();
    Proc::start(
        port,
        vec![conf.display().to_string(), "--sentinel".to_owned()],
    )
}

/// Waits (bounded) until `ready` holds.
pub async fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `--replicaof 127.0.0.1 <port>`.
pub fn replica_of(port: u16) -> Vec<String> {
    vec![
        "--replicaof".to_owned(),
        "127.0.0.1".to_owned(),
        port.to_string(),
    ]
}

/// A master, a replica of it and three sentinels watching it, in `dir`: started (master and
/// replica with `extra` arguments), the replica synced and the sentinels agreed on both
/// (bounded waits).
pub struct SentinelGroup {
    pub master: Proc,
    pub replica: Proc,
    pub sentinels: Vec<Proc>,
}

impl SentinelGroup {
    pub async fn start(dir: &TempDir, extra: &[String]) -> Self {
        let master = node(dir, "master", spare_port(), extra);
        let mut replica_args = replica_of(master.port);
        replica_args.extend_from_slice(extra);
        let replica = node(dir, "replica", spare_port(), &replica_args);
        let sentinels: Vec<Proc> = (0..3).map(|i| sentinel(dir, i, master.port)).collect();
        wait_for("the replica to sync", Duration::from_secs(10), || {
            cli(replica.port, &["INFO", "replication"]).contains("master_link_status:up")
        })
        .await;
        wait_for(
            "the sentinels to know each other and the replica",
            Duration::from_secs(15),
            || {
                sentinels.iter().all(|s| {
                    cli(s.port, &["SENTINEL", "CKQUORUM", MASTER]).contains("3 usable")
                        && cli(s.port, &["SENTINEL", "REPLICAS", MASTER])
                            .contains(&replica.port.to_string())
                })
            },
        )
        .await;
        Self {
            master,
            replica,
            sentinels,
        }
    }

    /// The sentinels' URLs.
    pub fn urls(&self) -> Vec<String> {
        self.sentinels
            .iter()
            .map(|s| format!("redis://127.0.0.1:{}", s.port))
            .collect()
    }
}

/// An operation's error kind, its first message of each kind kept in `samples` (for the
/// figures a failover test prints).
pub fn error_kind<T>(
    samples: &mut std::collections::HashMap<String, String>,
    outcome: Result<T, session_core::StoreError>,
) -> Option<session_core::StoreErrorKind> {
    outcome.err().map(|e| {
        samples
            .entry(format!("{:?}", e.kind()))
            .or_insert_with(|| e.to_string());
        e.kind()
    })
}
